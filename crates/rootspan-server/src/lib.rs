//! The rootspan server: OTLP/HTTP, OTLP/gRPC, REST API.
