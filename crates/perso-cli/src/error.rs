//! The CLI's error type: every variant names what is wrong and where (a file, a line,
//! a field or a JSON path), so a marketer can act on it without reading code.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// A file's content is refused; `message` already names the line/field/path.
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// A command-line value is wrong (e.g. `--cart` syntax).
    #[error("{0}")]
    Usage(String),
    /// A check failed (validation, signature, strict CSV); the details were printed.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn io(path: &Path, source: std::io::Error) -> CliError {
        CliError::Io { path: path.to_path_buf(), source }
    }
    pub fn input(path: &Path, message: impl Into<String>) -> CliError {
        CliError::Input { path: path.to_path_buf(), message: message.into() }
    }

    /// 2 for a wrong command line (as clap's own errors), 1 for refused input.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::io(path, e))
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| CliError::io(path, e))
}
