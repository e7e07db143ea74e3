//! `perso`: the marketers' command-line toolkit. One module per subcommand; the
//! engine is perso-core, the very code the browser runtime and the edge worker run.
//!
//! Exit codes: 0 success, 1 the input was refused (invalid bundle, bad signature,
//! bad CSV in `--strict` mode, lint errors with `--deny-warnings`), 2 usage errors
//! (clap's own, and values such as `--cart` or `--as-of` that cannot be used).

mod authoring;
mod claim_cmd;
mod cli;
mod clock;
mod compile_cmd;
mod error;
mod explain_cmd;
mod init;
mod input;
mod json_order;
mod keys;
mod lint;
mod load;
mod locate;
mod profiles;
mod publish_cmd;
mod report;
mod sample;
mod sample_exposures;
mod sign_cmd;
mod validate_cmd;
mod verify_cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
