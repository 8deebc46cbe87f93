//! The embedded SQLite backend of rootspan (the default store).
