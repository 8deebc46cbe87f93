-- Migration 6: the append-only log of failure issues (one issue per failure signature): state
-- changes and eval outcomes, each with its time and cause.
CREATE TABLE issue_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id   TEXT NOT NULL,
    project    TEXT NOT NULL,
    at_ns      INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    state      TEXT,
    cause      TEXT NOT NULL,
    trace_id   TEXT,
    case_id    TEXT
);
CREATE INDEX issue_events_by_project ON issue_events(project, at_ns, seq);
