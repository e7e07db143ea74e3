//! `--tables-dir`: the report as the two tables the SQL writes (`perso_report_arms`,
//! `perso_report_campaigns`), column for column, so the tests can compare the native
//! report with DuckDB's and Spark's. Missing values (no lift, no SRM test) are empty;
//! numbers are written exactly (shortest round-trip form).

use super::analyze::{LiftReport, Report};
use crate::error::{CliError, Result};
use std::path::Path;

pub const ARM_COLUMNS: [&str; 18] = [
    "campaign",
    "variant",
    "is_control",
    "visitors",
    "conversions",
    "revenue_cents",
    "revenue_cents_squared",
    "expected_share",
    "conversion_rate",
    "revenue_per_visitor",
    "cr_lift",
    "cr_ci_low",
    "cr_ci_high",
    "cr_chance_to_win",
    "rpv_lift",
    "rpv_ci_low",
    "rpv_ci_high",
    "rpv_chance_to_win",
];

pub const CAMPAIGN_COLUMNS: [&str; 12] = [
    "campaign",
    "kind",
    "control",
    "visitors",
    "excluded_visitors",
    "first_exposure_us",
    "last_exposure_us",
    "srm_expected",
    "srm_chi2",
    "srm_df",
    "srm_p_value",
    "srm_mismatch",
];

fn number(x: f64) -> String {
    format!("{x:?}")
}

fn optional(x: Option<f64>) -> String {
    x.map(number).unwrap_or_default()
}

fn lift_cells(lift: &Option<LiftReport>) -> [String; 4] {
    match lift {
        Some(l) => {
            [number(l.lift.estimate), number(l.lift.ci_low), number(l.lift.ci_high), number(l.lift.chance_to_win)]
        }
        None => Default::default(),
    }
}

pub fn write(dir: &Path, report: &Report) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    let fail = |path: &Path, e: csv::Error| CliError::Failed(format!("{}: {e}", path.display()));
    let path = dir.join("arms.csv");
    let mut out = csv::Writer::from_path(&path).map_err(|e| fail(&path, e))?;
    out.write_record(ARM_COLUMNS).map_err(|e| fail(&path, e))?;
    for c in &report.campaigns {
        for a in &c.arms {
            let mut row = vec![
                c.campaign.clone(),
                a.variant.clone(),
                u8::from(a.is_control).to_string(),
                a.visitors.to_string(),
                a.conversions.to_string(),
                a.revenue_cents.to_string(),
                number(a.revenue_cents_squared),
                optional(a.expected_share),
                number(a.conversion_rate),
                number(a.revenue_per_visitor),
            ];
            row.extend(lift_cells(&a.conversion_lift));
            row.extend(lift_cells(&a.revenue_lift));
            out.write_record(&row).map_err(|e| fail(&path, e))?;
        }
    }
    out.flush().map_err(|e| CliError::io(&path, e))?;
    let path = dir.join("campaigns.csv");
    let mut out = csv::Writer::from_path(&path).map_err(|e| fail(&path, e))?;
    out.write_record(CAMPAIGN_COLUMNS).map_err(|e| fail(&path, e))?;
    for c in &report.campaigns {
        let srm = c.srm.as_ref();
        out.write_record([
            c.campaign.clone(),
            c.kind.to_owned(),
            c.control.clone().unwrap_or_default(),
            c.visitors.to_string(),
            c.excluded_visitors.to_string(),
            c.first_us.to_string(),
            c.last_us.to_string(),
            srm.map(|s| s.expected.to_owned()).unwrap_or_default(),
            optional(srm.map(|s| s.chi2)),
            srm.map(|s| s.df.to_string()).unwrap_or_default(),
            optional(srm.map(|s| s.p_value)),
            srm.map(|s| u8::from(s.mismatch).to_string()).unwrap_or_default(),
        ])
        .map_err(|e| fail(&path, e))?;
    }
    out.flush().map_err(|e| CliError::io(&path, e))
}
