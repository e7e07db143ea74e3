//! The split each experiment was meant to have, for the sample-ratio check: from the
//! bundle (each campaign's `experiment.variants[].weight` and `experiment.holdout`, and
//! the bundle-level `holdout.percent` as the experiment `perso_global`, read by
//! perso-core's one reader, defaults included) and from `--weights CAMPAIGN=VARIANT:W,...`,
//! which wins (e.g. for an older bundle).

use super::analyze::Weights;
use crate::error::{CliError, Result};
use perso_core::bundle::source::BundleSource;
use std::collections::BTreeMap;
use std::path::Path;

/// The experiment id of the bundle-level holdout (personalization on vs off).
pub const GLOBAL_EXPERIMENT: &str = "perso_global";
/// The variation id of every holdout.
pub const HOLDOUT: &str = "holdout";
/// The variation id of the visitors the global holdout leaves personalized.
pub const PERSONALIZED: &str = "personalized";

/// Weights of the bundle's experiments, and the ids of all its campaigns.
pub fn from_bundle(path: &Path) -> Result<(Weights, Vec<String>)> {
    let bytes = crate::input::read(path, None)?.bytes;
    let bundle: BundleSource = perso_core::bundle::read::read_source(&bytes)
        .map_err(|e| CliError::input(path, format!("not a bundle: {e}")))?;
    let mut weights = Weights::new();
    if let Some(global) = bundle.holdout.as_ref().filter(|h| h.percent > 0.0) {
        let split =
            BTreeMap::from([(HOLDOUT.to_owned(), global.percent), (PERSONALIZED.to_owned(), 100.0 - global.percent)]);
        weights.insert(GLOBAL_EXPERIMENT.into(), split);
    }
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

    #[test]
    fn the_global_holdout_is_the_experiment_perso_global() {
        let dir = std::env::temp_dir().join(format!("perso-weights-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/bundle.json");
        let mut bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(demo).unwrap()).unwrap();
        bundle["holdout"] = serde_json::json!({ "percent": 5 });
        let path = dir.join("bundle.json");
        std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
        let (weights, _) = from_bundle(&path).unwrap();
        assert_eq!(weights[GLOBAL_EXPERIMENT][HOLDOUT], 5.0);
        assert_eq!(weights[GLOBAL_EXPERIMENT][PERSONALIZED], 95.0);
        bundle.as_object_mut().unwrap().remove("holdout");
        std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
        assert!(!from_bundle(&path).unwrap().0.contains_key(GLOBAL_EXPERIMENT), "no holdout, no experiment");
    }
}
