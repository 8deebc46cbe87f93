//! Message-log datasets (Who&When, AgentRx): not implemented yet. Another engineer owns this
//! file; until then both formats are detected but importing them is an `Unsupported` error.

use crate::error::IngestError;
use crate::import::{FileFormat, Imported};
use std::path::Path;

/// Imports a message-log file (stub: always `Unsupported`).
pub fn import_message_log(
    path: &Path,
    _bytes: &[u8],
    format: FileFormat,
    _project_hint: Option<&str>,
) -> Result<Imported, IngestError> {
    Err(IngestError::unsupported(format!("{}: {format:?} message logs are not supported yet", path.display())))
}
