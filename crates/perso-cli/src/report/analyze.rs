//! From per-arm sums to the report: lifts against the control, sample-ratio check and
//! the warnings, in one serializable model. `--json` prints it as is; the table and
//! the HTML page render it. Its shape is the documented, stable JSON schema
//! (`perso.report/1`, docs/report.md): fields are only ever added.

use super::collect::{CampaignSums, Counts};
use super::event::{format_timestamp_us, ExposureKind};
use super::srm;
use super::stats::{self, Lift, Moments};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: &str = "perso.report/1";

/// The choices a report was made with (all written into the report).
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub confidence: f64,
    /// How many times the results have been (or will be) looked at; each look's interval
    /// uses `1 − (1 − confidence) / looks` (Bonferroni).
    pub looks: u32,
    pub per_look_confidence: f64,
    pub window_days: Option<u32>,
    pub control: String,
    pub min_days: f64,
    pub min_visitors: u64,
    pub min_conversions: u64,
    pub srm_p: f64,
}

impl Settings {
    /// The normal quantile of the two-sided per-look interval.
    pub fn z(&self) -> f64 {
        stats::normal_quantile(1.0 - (1.0 - self.per_look_confidence) / 2.0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub settings: Settings,
    pub input: Input,
    pub campaigns: Vec<CampaignReport>,
    /// Warnings about the whole export (skipped rows, looks).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub files: Vec<String>,
    #[serde(flatten)]
    pub counts: Counts,
    pub visitors: u64,
    pub orders: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignReport {
    pub campaign: String,
    /// `experiment` (from experiment_viewed) or `promotion` (view_promotion only: no lift).
    pub kind: &'static str,
    pub control: Option<String>,
    pub first_exposure: String,
    pub last_exposure: String,
    #[serde(skip)]
    pub first_us: i64,
    #[serde(skip)]
    pub last_us: i64,
    pub days: f64,
    pub visitors: u64,
    pub excluded_visitors: u64,
    pub srm: Option<Srm>,
    pub arms: Vec<ArmReport>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Srm {
    /// `weights` (from `--bundle` / `--weights`) or `equal` (no weights known).
    pub expected: &'static str,
    pub chi2: f64,
    pub df: u32,
    pub p_value: f64,
    pub mismatch: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArmReport {
    pub variant: String,
    pub is_control: bool,
    /// The share of the campaign's visitors this arm should get (`null` without an SRM test).
    pub expected_share: Option<f64>,
    pub visitors: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
    pub revenue: f64,
    pub revenue_per_visitor: f64,
    pub conversion_lift: Option<LiftReport>,
    pub revenue_lift: Option<LiftReport>,
    #[serde(skip)]
    pub revenue_cents: i64,
    #[serde(skip)]
    pub revenue_cents_squared: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiftReport {
    #[serde(flatten)]
    pub lift: Lift,
    /// `better` (the interval is above 0), `worse` (below 0) or `unclear`.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// `srm`, `low_data`, `short_period`, `looks`, `mixed_variants`, `no_control`,
    /// `promotion_only`, `skipped_rows`.
    pub code: &'static str,
    pub message: String,
}

/// Expected weights per campaign: variant → relative weight.
pub type Weights = BTreeMap<String, BTreeMap<String, f64>>;

fn lift_report(lift: Option<Lift>) -> Option<LiftReport> {
    lift.map(|lift| LiftReport {
        lift,
        outcome: if lift.ci_low > 0.0 {
            "better"
        } else if lift.ci_high < 0.0 {
            "worse"
        } else {
            "unclear"
        },
    })
}

fn percent(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

pub fn analyze(sums: Vec<CampaignSums>, settings: Settings, weights: &Weights, input: Input) -> Report {
    let z = settings.z();
    let mut warnings = Vec::new();
    if input.counts.skipped_rows > 0 {
        warnings.push(Warning {
            code: "skipped_rows",
            message: format!(
                "{} rows could not be read and were left out (the first ones are listed on stderr).",
                input.counts.skipped_rows
            ),
        });
    }
    if settings.looks > 1 {
        warnings.push(Warning {
            code: "looks",
            message: format!(
                "Looked at {} times: each interval uses {:.2} % confidence (Bonferroni), so the chance of calling a false win in any of the looks stays within {:.0} %.",
                settings.looks,
                100.0 * settings.per_look_confidence,
                100.0 * (1.0 - settings.confidence)
            ),
        });
    }
    let campaigns = sums.into_iter().map(|c| campaign_report(c, &settings, weights, z)).collect();
    Report { schema: SCHEMA, settings, input, campaigns, warnings }
}

fn campaign_report(c: CampaignSums, settings: &Settings, weights: &Weights, z: f64) -> CampaignReport {
    let mut warnings = Vec::new();
    let visitors: u64 = c.arms.iter().map(|a| a.visitors).sum();
    let control_arm = c.arms.iter().find(|a| a.variant == settings.control);
    let moments = |a: &super::collect::ArmSums| {
        (
            Moments::proportion(a.visitors, a.conversions),
            Moments::sample(a.visitors, a.revenue_cents as f64, a.revenue_cents_squared),
        )
    };
    let control = control_arm.map(moments);
    let expected = expected_shares(&c, weights.get(&c.campaign));
    let srm = match &expected {
        Some((basis, shares)) => {
            let observed: Vec<u64> = shares.iter().map(|(v, _)| arm_visitors(&c, v)).collect();
            let w: Vec<f64> = shares.iter().map(|(_, s)| *s).collect();
            srm::test(&observed, &w).map(|t| Srm {
                expected: basis,
                chi2: t.chi2,
                df: t.df,
                p_value: t.p_value,
                mismatch: t.p_value < settings.srm_p,
            })
        }
        None => None,
    };
    if let Some(s) = srm.as_ref().filter(|s| s.mismatch) {
        let shares = &expected.as_ref().map(|e| e.1.clone()).unwrap_or_default();
        let got: Vec<String> = shares
            .iter()
            .map(|(v, _)| format!("{} ({v})", super::render_table::thousands(arm_visitors(&c, v))))
            .collect();
        let want: Vec<String> = shares.iter().map(|(_, share)| percent(*share)).collect();
        warnings.push(Warning {
            code: "srm",
            message: format!(
                "Sample ratio mismatch: visitors split {} where {} was expected ({} split; chi-square p = {:.1e}, below {}). Visitors are not reaching the arms as assigned (or their exposures are not all logged): do not trust these lifts until the cause is fixed.",
                got.join(" / "),
                want.join(" / "),
                if s.expected == "weights" { "the bundle's" } else { "an equal" },
                s.p_value,
                settings.srm_p
            ),
        });
    }
    let days = (c.last_us - c.first_us) as f64 / 86_400e6;
    if c.kind == ExposureKind::Promotion {
        warnings.push(Warning {
            code: "promotion_only",
            message: "Seen only through view_promotion (no experiment_viewed, so no holdout): this shows how the visitors who saw it behaved, not what it earned.".into(),
        });
    } else if control.is_none() {
        warnings.push(Warning {
            code: "no_control",
            message: format!(
                "No `{}` arm: lift needs a control group (give the experiment a holdout, or name the control with --control).",
                settings.control
            ),
        });
    }
    if c.excluded_visitors > 0 {
        let share = c.excluded_visitors as f64 / (visitors + c.excluded_visitors) as f64;
        warnings.push(Warning {
            code: "mixed_variants",
            message: format!(
                "{} visitors ({}) saw more than one variant and are left out (e.g. a cleared visitor id, or a changed salt or weights during the test).",
                c.excluded_visitors,
                percent(share)
            ),
        });
    }
    if days < settings.min_days {
        warnings.push(Warning {
            code: "short_period",
            message: format!(
                "The exposures span {days:.1} days, less than {}: shopping differs by weekday, and reading a test early and stopping when it looks good (peeking) calls false wins far more often than 5 %. Let it run at least {} days.",
                settings.min_days, settings.min_days
            ),
        });
    }
    let low: Vec<String> = c
        .arms
        .iter()
        .filter(|a| a.visitors < settings.min_visitors || a.conversions < settings.min_conversions)
        .map(|a| format!("{} ({} visitors, {} conversions)", a.variant, a.visitors, a.conversions))
        .collect();
    if !low.is_empty() {
        warnings.push(Warning {
            code: "low_data",
            message: format!(
                "Too little data in {}: intervals need at least {} visitors and {} conversions per arm to be trusted.",
                low.join(", "),
                settings.min_visitors,
                settings.min_conversions
            ),
        });
    }
    // The control first, then the variants in id order.
    let mut ordered: Vec<&super::collect::ArmSums> = c.arms.iter().collect();
    ordered.sort_by_key(|a| a.variant != settings.control);
    let arms = ordered
        .into_iter()
        .map(|a| {
            let (conversion, revenue) = moments(a);
            let is_control = control_arm.is_some_and(|ctl| ctl.variant == a.variant);
            let (conversion_lift, revenue_lift) = match (&control, is_control) {
                (Some((cc, cr)), false) => {
                    (stats::relative_lift(*cc, conversion, z), stats::relative_lift(*cr, revenue, z))
                }
                _ => (None, None),
            };
            ArmReport {
                variant: a.variant.clone(),
                is_control,
                expected_share: expected
                    .as_ref()
                    .and_then(|(_, s)| s.iter().find(|(v, _)| *v == a.variant).map(|(_, share)| *share)),
                visitors: a.visitors,
                conversions: a.conversions,
                conversion_rate: conversion.mean,
                revenue: a.revenue_cents as f64 / 100.0,
                revenue_per_visitor: revenue.mean / 100.0,
                conversion_lift: lift_report(conversion_lift),
                revenue_lift: lift_report(revenue_lift),
                revenue_cents: a.revenue_cents,
                revenue_cents_squared: a.revenue_cents_squared,
            }
        })
        .collect();
    CampaignReport {
        campaign: c.campaign.clone(),
        kind: match c.kind {
            ExposureKind::Experiment => "experiment",
            ExposureKind::Promotion => "promotion",
        },
        control: control_arm.map(|a| a.variant.clone()),
        first_exposure: format_timestamp_us(c.first_us),
        last_exposure: format_timestamp_us(c.last_us),
        first_us: c.first_us,
        last_us: c.last_us,
        days,
        visitors,
        excluded_visitors: c.excluded_visitors,
        srm,
        arms,
        warnings,
    }
}

fn arm_visitors(c: &CampaignSums, variant: &str) -> u64 {
    c.arms.iter().find(|a| a.variant == variant).map_or(0, |a| a.visitors)
}

/// The arms of the SRM test and their expected shares: the known weights (positive
/// ones, plus arms seen) when every arm seen has a weight; else an equal split of the
/// arms seen. `None` with fewer than two arms.
fn expected_shares(
    c: &CampaignSums,
    weights: Option<&BTreeMap<String, f64>>,
) -> Option<(&'static str, Vec<(String, f64)>)> {
    let known = weights.filter(|w| c.arms.iter().all(|a| w.get(&a.variant).is_some_and(|x| *x > 0.0)));
    let (basis, arms): (&'static str, Vec<(String, f64)>) = match known {
        Some(w) => ("weights", w.iter().filter(|(_, x)| **x > 0.0).map(|(v, x)| (v.clone(), *x)).collect()),
        None => ("equal", c.arms.iter().map(|a| (a.variant.clone(), 1.0)).collect()),
    };
    if arms.len() < 2 {
        return None;
    }
    let total: f64 = arms.iter().map(|(_, x)| x).sum();
    Some((basis, arms.into_iter().map(|(v, x)| (v, x / total)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::collect::ArmSums;
    use crate::report::srm::SRM_P;

    fn settings() -> Settings {
        Settings {
            confidence: 0.95,
            looks: 1,
            per_look_confidence: 0.95,
            window_days: None,
            control: "holdout".into(),
            min_days: 7.0,
            min_visitors: 100,
            min_conversions: 10,
            srm_p: SRM_P,
        }
    }

    fn arm(variant: &str, visitors: u64, conversions: u64) -> ArmSums {
        ArmSums {
            variant: variant.into(),
            visitors,
            conversions,
            revenue_cents: conversions as i64 * 5000,
            revenue_cents_squared: conversions as f64 * 2.5e7,
        }
    }

    fn campaign(arms: Vec<ArmSums>) -> CampaignSums {
        CampaignSums {
            campaign: "c".into(),
            kind: ExposureKind::Experiment,
            first_us: 0,
            last_us: 14 * 86_400_000_000,
            excluded_visitors: 0,
            arms,
        }
    }

    fn input() -> Input {
        Input { files: vec![], counts: Counts::default(), visitors: 0, orders: 0 }
    }

    #[test]
    fn weights_decide_the_expected_split() {
        let mut weights = Weights::new();
        weights.insert("c".into(), [("a".to_string(), 90.0), ("holdout".to_string(), 10.0)].into());
        let sums = vec![campaign(vec![arm("a", 9000, 900), arm("holdout", 1000, 80)])];
        let report = analyze(sums.clone(), settings(), &weights, input());
        let c = &report.campaigns[0];
        let srm = c.srm.as_ref().unwrap();
        assert_eq!((srm.expected, srm.mismatch), ("weights", false));
        // The control comes first.
        assert_eq!((c.arms[0].variant.as_str(), c.arms[0].expected_share), ("holdout", Some(0.1)));
        assert_eq!(c.arms[1].expected_share, Some(0.9));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let lift = c.arms[1].conversion_lift.as_ref().unwrap();
        assert!((lift.lift.estimate - 0.25).abs() < 1e-12);
        // Without weights the same counts are a gross mismatch against 50/50.
        let report = analyze(sums, settings(), &Weights::new(), input());
        assert!(report.campaigns[0].srm.as_ref().unwrap().mismatch);
        assert_eq!(report.campaigns[0].warnings[0].code, "srm");
    }

    #[test]
    fn warnings_for_little_data_short_period_and_no_control() {
        let mut c = campaign(vec![arm("a", 50, 3), arm("b", 60, 4)]);
        c.last_us = 86_400_000_000;
        c.excluded_visitors = 2;
        let report = analyze(vec![c], settings(), &Weights::new(), input());
        let codes: Vec<&str> = report.campaigns[0].warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["no_control", "mixed_variants", "short_period", "low_data"]);
        assert!(report.campaigns[0].arms.iter().all(|a| a.conversion_lift.is_none()));
    }
}
