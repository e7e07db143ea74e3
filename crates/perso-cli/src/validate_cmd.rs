//! `perso validate`: every check the engine makes at load (the same code: perso-core's
//! `Engine::from_bundle`), then the lints a marketer needs ([`crate::lint`]). Problems
//! name the JSON path and, where the campaign or segment can be found in the file, its
//! line.

use crate::clock::Clock;
use crate::compile_cmd::Origin;
use crate::error::{CliError, Result};
use crate::lint::{self, Lint};
use crate::locate;
use clap::Args;
use perso_core::{BundleError, Engine};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A bundle JSON or an authoring file (`.yaml`/`.yml`).
    pub input: PathBuf,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when there are warnings, too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// The store runs no claim endpoint (docs/offers.md): offers redeemed by a claim are errors.
    #[arg(long)]
    pub no_claim_endpoint: bool,
    #[command(flatten)]
    pub clock: Clock,
}

/// Loads a bundle as every host does; on failure prints every problem (with file lines)
/// to stderr and returns a short error.
pub fn load(path: &Path, bytes: &[u8]) -> Result<Engine> {
    load_from(path, bytes, &Origin::Json)
}

/// [`load`], then what makes offers redeemable ([`lint::redeem`]): what `sign` and
/// `publish` require, so that nothing published can mint a discount.
pub fn load_publishable(path: &Path, bytes: &[u8]) -> Result<Engine> {
    let engine = load(path, bytes)?;
    let errors = lint::redeem::errors(&engine, true);
    if errors.is_empty() {
        return Ok(engine);
    }
    for error in &errors {
        eprintln!("{}", Problem::from_lint(error, bytes, &Origin::Json).render(path));
    }
    Err(CliError::Failed(format!(
        "{}: {} offer(s) anyone could redeem or nobody can verify; not signed",
        path.display(),
        errors.len()
    )))
}

/// [`load`], pointing problems at the lines of the file the marketer wrote.
pub fn load_from(path: &Path, bytes: &[u8], origin: &Origin) -> Result<Engine> {
    Engine::from_bundle(bytes).map_err(|error| {
        for problem in problems(bytes, origin, &error) {
            eprintln!("{}", problem.render(path));
        }
        CliError::Failed(format!("{}: the bundle is invalid ({})", path.display(), summary(&error)))
    })
}

fn summary(error: &BundleError) -> String {
    match error {
        BundleError::Invalid(issues) => format!("{} problem(s)", issues.len()),
        other => other.to_string(),
    }
}

/// One reason a bundle was refused: its JSON path, the line in the file the marketer
/// wrote (when the object can be found there), and the engine's message.
#[derive(Debug, serde::Serialize)]
struct Problem {
    /// A policy error's stable code (`offer-fakeable`, ...); load errors have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    path: Option<String>,
    line: Option<usize>,
    message: String,
}

impl Problem {
    /// `file:line: error: path: message` (`error[code]` for policy errors).
    fn render(&self, file: &Path) -> String {
        let line = self.line.map(|n| format!(":{n}")).unwrap_or_default();
        let path = self.path.as_ref().map(|p| format!("{p}: ")).unwrap_or_default();
        let code = self.code.map(|c| format!("[{c}]")).unwrap_or_default();
        format!("{}{line}: error{code}: {path}{}", file.display(), self.message)
    }

    fn from_lint(lint: &Lint, bytes: &[u8], origin: &Origin) -> Problem {
        Problem {
            code: Some(lint.code),
            path: Some(lint.path.clone()),
            line: locate::line_of_in(origin, bytes, &lint.path),
            message: lint.message.clone(),
        }
    }
}

fn problems(bytes: &[u8], origin: &Origin, error: &BundleError) -> Vec<Problem> {
    let at = |path: &str, message: String| Problem {
        code: None,
        path: Some(path.to_owned()),
        line: locate::line_of_in(origin, bytes, path),
        message,
    };
    match error {
        BundleError::Invalid(issues) => issues.iter().map(|i| at(&i.path, i.problem.to_string())).collect(),
        BundleError::Json { path, message } => vec![at(path, message.clone())],
        other => {
            vec![Problem { code: None, path: other.path().map(str::to_owned), line: None, message: other.to_string() }]
        }
    }
}

pub fn run(args: ValidateArgs) -> Result<()> {
    let now_ms = args.clock.now_ms()?;
    let (bytes, origin) = crate::compile_cmd::bundle_bytes_with_origin(&args.input, None)?;
    let report = match Engine::from_bundle(&bytes) {
        Ok(engine) => {
            let mut report = Report::loaded(&engine, lint::lint(&bytes, now_ms).unwrap_or_default());
            report.errors = lint::redeem::errors(&engine, !args.no_claim_endpoint)
                .iter()
                .map(|l| Problem::from_lint(l, &bytes, &origin))
                .collect();
            report
        }
        Err(error) => Report::refused(problems(&bytes, &origin, &error)),
    };
    let render_warning = |l: &Lint| {
        let line = locate::line_of_in(&origin, &bytes, &l.path);
        format!(
            "{}{}: warning[{}]: {}: {}",
            args.input.display(),
            line.map(|n| format!(":{n}")).unwrap_or_default(),
            l.code,
            l.path,
            l.message
        )
    };
    if args.json {
        let warnings: Vec<serde_json::Value> = report
            .warnings
            .iter()
            .map(|l| {
                serde_json::json!({ "code": l.code, "path": l.path, "campaign": l.campaign, "message": l.message,
                                    "line": locate::line_of_in(&origin, &bytes, &l.path) })
            })
            .collect();
        let json = serde_json::json!({ "ok": report.errors.is_empty(), "serial": report.serial, "errors": report.errors, "warnings": warnings });
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    } else {
        for error in &report.errors {
            println!("{}", error.render(&args.input));
        }
        for warning in &report.warnings {
            println!("{}", render_warning(warning));
        }
        if report.errors.is_empty() && report.serial.is_some() {
            println!(
                "{}: valid (serial {}), {} warning(s)",
                args.input.display(),
                report.serial.unwrap_or(0),
                report.warnings.len()
            );
        }
    }
    if !report.errors.is_empty() {
        return Err(CliError::Failed(format!("{}: {} error(s)", args.input.display(), report.errors.len())));
    }
    if args.deny_warnings && !report.warnings.is_empty() {
        return Err(CliError::Failed(format!(
            "{}: {} warning(s) (--deny-warnings)",
            args.input.display(),
            report.warnings.len()
        )));
    }
    Ok(())
}

struct Report {
    serial: Option<u64>,
    errors: Vec<Problem>,
    warnings: Vec<Lint>,
}

impl Report {
    fn loaded(engine: &Engine, mut lints: Vec<Lint>) -> Report {
        let engine_warnings = engine.warnings().iter().map(|w| Lint {
            code: "engine",
            path: w.path.clone(),
            campaign: None,
            message: w.problem.to_string(),
        });
        lints.splice(0..0, engine_warnings);
        Report { serial: Some(engine.serial()), errors: Vec::new(), warnings: lints }
    }

    fn refused(errors: Vec<Problem>) -> Report {
        Report { serial: None, errors, warnings: Vec::new() }
    }
}
