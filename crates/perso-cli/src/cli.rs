//! Command-line surface: one subcommand per module.

use crate::error::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "perso",
    version,
    about = "perso marketers' toolkit: author, validate, explain, sign and publish bundles; build profiles from order history"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a complete, commented authoring file for a new store (the three reference scenarios).
    Init(crate::init::InitArgs),
    /// Compile an authoring file (YAML) to the bundle JSON.
    Compile(crate::compile_cmd::CompileArgs),
    /// Check a bundle (JSON or YAML) as every host does at load, plus lints.
    Validate(crate::validate_cmd::ValidateArgs),
    /// Show what each placement shows for a visitor and why the other campaigns did not win.
    #[command(alias = "preview")]
    Explain(crate::explain_cmd::ExplainArgs),
    /// Create an Ed25519 signing key with a key id (outside any repository).
    Keygen(crate::keys::KeygenArgs),
    /// Write a detached signature (bundle.json.sig) over a bundle's bytes.
    Sign(crate::sign_cmd::SignArgs),
    /// Verify a bundle as the browser runtime and edge worker do (signature, load, freshness).
    Verify(crate::verify_cmd::VerifyArgs),
    /// Stamp the next serial, validate, sign and write the bundle into the published folder.
    Publish(crate::publish_cmd::PublishArgs),
    /// RFM scores, lifetime-value bands and the cross-sell affinity table from order history.
    Profiles(crate::profiles::ProfilesArgs),
    /// Write a seeded, realistic sample order history over a bundle's catalogue.
    SampleOrders(crate::sample::SampleArgs),
    /// Issue or verify an offer's claim (docs/offers.md), as a store's claim endpoint and checkout do.
    Claim(crate::claim_cmd::ClaimArgs),
    /// Sign an affiliate landing link (`?perso_link=`) that vouches where its shoppers come from.
    SignLink(crate::claim_cmd::SignLinkArgs),
    /// Lift of each campaign's variants against the holdout, from exposures and orders (GA4 export or plain CSV).
    Report(crate::report::ReportArgs),
    /// Write seeded, simulated experiments with a known true lift (exposures and orders).
    SampleExposures(crate::sample_exposures::SampleExposuresArgs),
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init(args) => crate::init::run(args),
        Command::Compile(args) => crate::compile_cmd::run(args),
        Command::Validate(args) => crate::validate_cmd::run(args),
        Command::Explain(args) => crate::explain_cmd::run(args),
        Command::Keygen(args) => crate::keys::keygen(args),
        Command::Sign(args) => crate::sign_cmd::run(args),
        Command::Verify(args) => crate::verify_cmd::run(args),
        Command::Publish(args) => crate::publish_cmd::run(args),
        Command::Profiles(args) => crate::profiles::run(args),
        Command::SampleOrders(args) => crate::sample::run(args),
        Command::Claim(args) => crate::claim_cmd::run(args),
        Command::SignLink(args) => crate::claim_cmd::sign_link(args),
        Command::Report(args) => crate::report::run(args),
        Command::SampleExposures(args) => crate::sample_exposures::run(args),
    }?;
    Ok(ExitCode::SUCCESS)
}
