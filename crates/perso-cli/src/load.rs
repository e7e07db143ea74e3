//! Loading a bundle as every host does (perso-core's `Engine::from_bundle`, the same
//! code), and the reasons it was refused, each with its JSON path and its line in
//! the file the marketer wrote.

use crate::error::{CliError, Result};
use crate::input::Input;
use crate::lint::Lint;
use crate::locate::Origin;
use perso_core::bundle::Problem as EngineProblem;
use perso_core::{BundleError, Engine};
use std::path::Path;

/// One reason a bundle was refused.
#[derive(Debug, serde::Serialize)]
pub struct Problem {
    /// A policy error's stable code (`offer-fakeable`, ...); load errors have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    /// `file:line: error: path: message` (`error[code]` for policy errors).
    pub fn render(&self, file: &Path) -> String {
        let line = self.line.map(|n| format!(":{n}")).unwrap_or_default();
        let path = self.path.as_ref().map(|p| format!("{p}: ")).unwrap_or_default();
        let code = self.code.map(|c| format!("[{c}]")).unwrap_or_default();
        format!("{}{line}: error{code}: {path}{}", file.display(), self.message)
    }

    pub fn from_lint(lint: &Lint, line: Option<usize>) -> Problem {
        Problem { code: Some(lint.code), path: Some(lint.path.clone()), line, message: lint.message.clone() }
    }
}

/// The engine's message, with a "did you mean" for a mistyped kind.
fn message(problem: &EngineProblem) -> String {
    match problem {
        EngineProblem::UnknownKind { found, expected } => {
            let suggestion = perso_core::bundle::read::did_you_mean(found, expected.split(", "))
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            format!("{problem}{suggestion}")
        }
        other => other.to_string(),
    }
}

pub fn problems(origin: &Origin, error: &BundleError) -> Vec<Problem> {
    let at = |path: &str, message: String| Problem {
        code: None,
        path: Some(path.to_owned()),
        line: origin.line_of(path),
        message,
    };
    match error {
        BundleError::Invalid(issues) => issues.iter().map(|i| at(&i.path, message(&i.problem))).collect(),
        BundleError::Json { path, message } => vec![at(path, message.clone())],
        other => {
            vec![Problem { code: None, path: other.path().map(str::to_owned), line: None, message: other.to_string() }]
        }
    }
}

fn summary(error: &BundleError) -> String {
    match error {
        BundleError::Invalid(issues) => format!("{} problem(s)", issues.len()),
        other => other.to_string(),
    }
}

/// Loads `input` as every host does; on failure prints every problem (with its
/// line) to stderr and returns a short error.
pub fn load(path: &Path, input: &Input) -> Result<Engine> {
    Engine::from_bundle(&input.bytes).map_err(|error| {
        for problem in problems(&input.origin, &error) {
            eprintln!("{}", problem.render(path));
        }
        CliError::Failed(format!("{}: the bundle is invalid ({})", path.display(), summary(&error)))
    })
}

/// [`load`] of bytes that have no file of their own to point at (a signed file).
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Engine> {
    load(path, &Input { bytes: bytes.to_vec(), origin: Origin::json(bytes), traps: Vec::new() })
}

/// [`load_bytes`], then what makes offers redeemable ([`crate::lint::redeem`]): what
/// `sign` and `publish` require, so that nothing published can mint a discount.
pub fn load_publishable(path: &Path, bytes: &[u8]) -> Result<Engine> {
    let engine = load_bytes(path, bytes)?;
    let errors = crate::lint::redeem::errors(&engine, true);
    if errors.is_empty() {
        return Ok(engine);
    }
    let origin = Origin::json(bytes);
    for error in &errors {
        eprintln!("{}", Problem::from_lint(error, origin.line_of(&error.path)).render(path));
    }
    Err(CliError::Failed(format!(
        "{}: {} offer(s) anyone could redeem or nobody can verify; not signed",
        path.display(),
        errors.len()
    )))
}
