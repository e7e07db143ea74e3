//! `perso compile`: an authoring file (YAML, see [`crate::authoring`]) to the bundle
//! JSON, checked by the engine before it is written. Other commands accept either
//! form through [`crate::input::read`].

use crate::error::{write_file, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The authoring file (`.yaml` / `.yml`).
    pub input: PathBuf,
    /// Where to write the bundle JSON (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Use this affinity JSON (e.g. from `perso profiles --affinity-out`) instead of the file's.
    #[arg(long)]
    pub affinity: Option<PathBuf>,
}

pub fn run(args: CompileArgs) -> Result<()> {
    let text = String::from_utf8(crate::error::read_file(&args.input)?)
        .map_err(|_| crate::error::CliError::input(&args.input, "not UTF-8 text"))?;
    let input = crate::input::compile(&text, &args.input, args.affinity.as_deref())?;
    for trap in &input.traps {
        eprintln!("{}:{}: warning[{}]: {}", args.input.display(), trap.line.unwrap_or(0), trap.code, trap.message);
    }
    // Engine problems are printed with the authoring file's lines.
    crate::load::load(&args.input, &input)?;
    match &args.out {
        Some(out) => {
            write_file(out, &input.bytes)?;
            eprintln!("compiled {} -> {}", args.input.display(), out.display());
        }
        None => print!("{}", String::from_utf8_lossy(&input.bytes)),
    }
    Ok(())
}
