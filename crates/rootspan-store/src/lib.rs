//! The storage contract of rootspan: the TraceStore trait, query types, errors, and one conformance suite every backend runs.
