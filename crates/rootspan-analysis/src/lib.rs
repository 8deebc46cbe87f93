//! Pure analyses over traces: detectors, root cause, critical path, diff, clustering. No IO, no clock.
