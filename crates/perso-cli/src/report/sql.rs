//! The SQL (to be written).
use super::analyze::{Settings, Weights};
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source { Ga4, Plain }
pub struct Params<'a> { pub source: Source, pub settings: &'a Settings, pub weights: &'a Weights, pub only: Option<&'a [String]> }
pub fn script(_p: &Params) -> String { String::new() }
