//! The split each experiment was meant to have, for the sample-ratio check: from the
//! bundle (each campaign's `experiment.variants[].weight` and `experiment.holdout`, read
//! with perso-core's own wire types) and from `--weights CAMPAIGN=VARIANT:W,...`, which
//! wins (e.g. for the bundle-level holdout `perso_global`, or an older bundle).

use super::analyze::Weights;
use crate::error::{read_file, CliError, Result};
use perso_core::bundle::source::BundleSource;
use std::collections::BTreeMap;
use std::path::Path;

/// The experiment id of the bundle-level holdout (personalization on vs off).
pub const GLOBAL_EXPERIMENT: &str = "perso_global";
/// The variation id of every holdout.
pub const HOLDOUT: &str = "holdout";

/// Weights of the bundle's experiments, and the ids of all its campaigns.
pub fn from_bundle(path: &Path) -> Result<(Weights, Vec<String>)> {
    let bundle: BundleSource =
        serde_json::from_slice(&read_file(path)?).map_err(|e| CliError::input(path, format!("not a bundle: {e}")))?;
    let mut weights = Weights::new();
    let mut ids = Vec::new();
    for campaign in &bundle.campaigns {
        ids.push(campaign.id.clone());
        let Some(experiment) = &campaign.experiment else { continue };
        let mut split: BTreeMap<String, f64> =
            experiment.variants.iter().map(|v| (v.id.clone(), v.weight as f64)).collect();
        if experiment.holdout > 0 {
            split.insert(HOLDOUT.into(), experiment.holdout as f64);
        }
        weights.insert(campaign.id.clone(), split);
    }
    Ok((weights, ids))
}

/// `CAMPAIGN=VARIANT:WEIGHT,VARIANT:WEIGHT`.
pub fn parse_spec(spec: &str) -> Result<(String, BTreeMap<String, f64>)> {
    let usage = || {
        CliError::Usage(format!(
            "--weights `{spec}`: expected CAMPAIGN=VARIANT:WEIGHT,... (e.g. perso_global=personalized:95,holdout:5)"
        ))
    };
    let (campaign, arms) = spec.split_once('=').ok_or_else(usage)?;
    let mut split = BTreeMap::new();
    for arm in arms.split(',') {
        let (variant, weight) = arm.split_once(':').ok_or_else(usage)?;
        let weight: f64 = weight.trim().parse().ok().filter(|w: &f64| w.is_finite() && *w >= 0.0).ok_or_else(usage)?;
        split.insert(variant.trim().to_owned(), weight);
    }
    if campaign.trim().is_empty() || split.values().all(|w| *w == 0.0) {
        return Err(usage());
    }
    Ok((campaign.trim().to_owned(), split))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_the_demo_bundle() {
        let (c, split) = parse_spec("perso_global=personalized:95,holdout:5").unwrap();
        assert_eq!(c, "perso_global");
        assert_eq!(split["holdout"], 5.0);
        assert!(parse_spec("perso_global").is_err());
        assert!(parse_spec("c=a:x").is_err());
        let bundle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/bundle.json");
        let (weights, ids) = from_bundle(&bundle).unwrap();
        assert!(ids.contains(&"aff-hero".to_string()));
        for split in weights.values() {
            assert!(split.values().sum::<f64>() > 0.0);
        }
    }
}
