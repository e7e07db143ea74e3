//! `perso validate`: every check the engine makes at load (the same code: perso-core's
//! `Engine::from_bundle`), the freshness every host checks (an expired bundle is
//! refused by all of them, so it is an error here too), then the lints a marketer
//! needs ([`crate::lint`]) and, for authoring files, the YAML traps. Problems name
//! the JSON path and the line in the file the marketer wrote.

use crate::clock::{format_rfc3339, Clock};
use crate::error::{CliError, Result};
use crate::lint::{self, Lint};
use crate::load::Problem;
use clap::Args;
use perso_core::Engine;
use std::path::PathBuf;

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

pub fn run(args: ValidateArgs) -> Result<()> {
    let now_ms = args.clock.now_ms()?;
    let input = crate::input::read(&args.input, None)?;
    let report = match Engine::from_bundle(&input.bytes) {
        Ok(engine) => {
            let mut warnings = input.traps.clone();
            warnings.extend(engine_warnings(&engine));
            // The one reader read what the engine loaded, so it reads it again here.
            if let Ok(source) = perso_core::bundle::read::read_source(&input.bytes) {
                warnings.extend(lint::lint(&source, &engine, now_ms));
            }
            let mut errors = Vec::new();
            if let Err(expired) = engine.check_freshness(None, now_ms) {
                errors.push(Problem {
                    code: None,
                    path: Some("expires_at".into()),
                    line: input.origin.line_of("expires_at"),
                    message: format!(
                        "the bundle expired at {} ({expired}): every host refuses it; publish with --expires-in-days N or move expires_at",
                        format_rfc3339(engine.expires_at_ms())
                    ),
                });
            }
            errors.extend(
                lint::redeem::errors(&engine, !args.no_claim_endpoint)
                    .iter()
                    .map(|l| Problem::from_lint(l, input.origin.line_of(&l.path))),
            );
            Report { serial: Some(engine.serial()), errors, warnings }
        }
        Err(error) => {
            Report { serial: None, errors: crate::load::problems(&input.origin, &error), warnings: input.traps.clone() }
        }
    };
    let line = |l: &Lint| l.line.or_else(|| input.origin.line_of(&l.path));
    if args.json {
        let warnings: Vec<serde_json::Value> = report
            .warnings
            .iter()
            .map(|l| {
                serde_json::json!({ "code": l.code, "path": l.path, "campaign": l.campaign, "message": l.message,
                                    "line": line(l) })
            })
            .collect();
        let json = serde_json::json!({ "ok": report.errors.is_empty(), "serial": report.serial, "errors": report.errors, "warnings": warnings });
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    } else {
        // Warnings first when the bundle is refused: a YAML trap is often the cause.
        for warning in &report.warnings {
            println!(
                "{}{}: warning[{}]: {}: {}",
                args.input.display(),
                line(warning).map(|n| format!(":{n}")).unwrap_or_default(),
                warning.code,
                warning.path,
                warning.message
            );
        }
        for error in &report.errors {
            println!("{}", error.render(&args.input));
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

fn engine_warnings(engine: &Engine) -> impl Iterator<Item = Lint> + '_ {
    engine.warnings().iter().map(|w| Lint {
        code: "engine",
        path: w.path.clone(),
        campaign: None,
        message: w.problem.to_string(),
        line: None,
    })
}

struct Report {
    serial: Option<u64>,
    errors: Vec<Problem>,
    warnings: Vec<Lint>,
}
