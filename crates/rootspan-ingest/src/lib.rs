//! Bytes to model: OTLP protobuf/JSON (traces and logs), size-capped gzip, TRAIL, message logs and the native JSONL format. No sockets.
