//! `perso report --emit-sql`: the same report as SQL, in the subset DuckDB and Spark SQL
//! share (temporary views, `GROUP BY`, joins, `CASE`, `EXP`/`SQRT`/`ABS`/`POWER`, no
//! window functions, no engine-specific date or array functions), checked equal to the
//! native report on both engines by the tests.
//!
//! Input (docs/report.md): either the plain pair as `perso_exposures(visitor_id, ts_us
//! BIGINT, campaign, variant)` and `perso_orders(visitor_id, ts_us BIGINT, order_id,
//! revenue DOUBLE)`, or GA4 events flattened to `perso_ga4_events(event_name,
//! event_timestamp BIGINT, user_pseudo_id, experiment_id, variation_id, promotion_id,
//! transaction_id, purchase_revenue DOUBLE)` (flattening `event_params` is the one step
//! each engine spells its own way; the docs give it for DuckDB, Spark and BigQuery).
//!
//! Output: the temporary views `perso_report_arms` and `perso_report_campaigns`
//! (columns as `tables.rs`). Temporary views, not tables, so the script reruns in any
//! session of the same warehouse with nothing left behind; persist them with the
//! engine's own `CREATE TABLE ... AS SELECT * FROM perso_report_arms`.
//!
//! Every formula is the one of `stats.rs` / `srm.rs`, written from the same constants.

use super::analyze::{Settings, Weights};
use super::event::SHOWN;
use super::stats::{cornish_fisher, HART_DENOMINATOR, HART_NUMERATOR, HART_SWITCH, HART_ZERO, SQRT_2PI};
use crate::error::{CliError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// `perso_ga4_events`: GA4 events with the parameters as columns.
    Ga4,
    /// `perso_exposures` and `perso_orders`.
    Plain,
}

pub struct Params<'a> {
    pub source: Source,
    pub settings: &'a Settings,
    pub weights: &'a Weights,
    pub only: Option<&'a [String]>,
}

/// The SRM p-value is written for up to this many degrees of freedom (arms − 1); more
/// arms leave `srm_p_value` NULL in SQL (the native report has no limit).
pub const SQL_MAX_SRM_DF: u32 = 15;

/// A DOUBLE literal both engines read as DOUBLE (scientific notation: Spark reads `0.5`
/// as a DECIMAL), exact to the last bit.
fn lit(x: f64) -> String {
    format!("{x:E}")
}

/// A string literal; ids with a quote or a backslash are refused because the engines
/// escape them differently (DuckDB doubles the quote, Spark uses backslashes).
fn text(s: &str) -> Result<String> {
    if s.contains('\'') || s.contains('\\') {
        return Err(CliError::Usage(format!("`{s}`: ids with ' or \\ cannot be written into portable SQL")));
    }
    Ok(format!("'{s}'"))
}

/// Horner's rule over `coefficients` (highest power first) at `a`.
fn horner(coefficients: &[f64], a: &str) -> String {
    let mut expr = lit(coefficients[0]);
    for c in &coefficients[1..] {
        expr = format!("({expr} * {a} + {})", lit(*c));
    }
    expr
}

/// The lower tail `Φ(−a)` of `stats::normal_cdf` for `a ≥ 0`, where `a` is a column
/// (it is referenced many times: a column keeps Spark's generated code small).
/// `Φ(x)` is then `CASE WHEN x > 0 THEN 1 − tail(|x|) ELSE tail(|x|) END`.
pub fn phi_tail(a: &str) -> String {
    let e = format!("EXP(-({a} * {a}) / 2)");
    let rational = format!("{e} * {} / {}", horner(&HART_NUMERATOR, a), horner(&HART_DENOMINATOR, a));
    let fraction = format!("({a} + 1 / ({a} + 2 / ({a} + 3 / ({a} + 4 / ({a} + {})))))", lit(0.65));
    format!(
        "(CASE WHEN {a} > {} THEN 0 WHEN {a} < {} THEN {rational} ELSE {e} / {fraction} / {} END)",
        lit(HART_ZERO),
        lit(HART_SWITCH),
        lit(SQRT_2PI)
    )
}

/// The t quantile of `stats::t_quantile` for the report's `z`, at `dof` (a column).
fn t_quantile(z: f64, dof: &str) -> String {
    let [g1, g2, g3, g4] = cornish_fisher(z);
    format!(
        "({} + {} / {dof} + {} / ({dof} * {dof}) + {} / ({dof} * {dof} * {dof}) + {} / ({dof} * {dof} * {dof} * {dof}))",
        lit(z),
        lit(g1),
        lit(g2),
        lit(g3),
        lit(g4)
    )
}

/// `srm::chi2_sf(x, df)` for `df` in 1..=SQL_MAX_SRM_DF, with the same terms in the same
/// order; `phi_neg_sqrt` is a column holding `Φ(−√x)`.
pub fn chi2_sf(x: &str, df: &str, phi_neg_sqrt: &str) -> String {
    let mut cases = Vec::new();
    let half = format!("EXP(-{x} / 2)");
    for k in 1..=SQL_MAX_SRM_DF {
        let (mut q, mut factor, mut power, mut base) = if k.is_multiple_of(2) {
            (half.clone(), 1.0 / 2.0, 1, 2)
        } else {
            (format!("2 * {phi_neg_sqrt}"), 1.0, 0, 1)
        };
        let lead = if k.is_multiple_of(2) {
            half.clone()
        } else {
            format!("SQRT(2 * {x} / {}) * {half}", lit(std::f64::consts::PI))
        };
        while base < k {
            q = format!("{q} + {lead} * POWER({x}, {power}) * {}", lit(factor));
            factor /= f64::from(base + 2);
            power += 1;
            base += 2;
        }
        cases.push(format!("WHEN {df} = {k} THEN LEAST(1, {q})"));
    }
    format!("(CASE WHEN {x} <= 0 THEN 1 {} END)", cases.join(" "))
}

pub fn script(p: &Params) -> Result<String> {
    let s = p.settings;
    let z = s.z();
    let control = text(&s.control)?;
    let filter = match p.only {
        Some(ids) => {
            let list: Result<Vec<String>> = ids.iter().map(|id| text(id)).collect();
            format!("WHERE campaign IN ({})", list?.join(", "))
        }
        None => String::new(),
    };
    let window = match s.window_days {
        Some(days) => format!(" AND o.ts_us <= f.first_us + {}", i64::from(days) * 86_400_000_000),
        None => String::new(),
    };
    let mut rows = Vec::new();
    for (campaign, split) in p.weights {
        for (variant, weight) in split {
            rows.push(format!("({}, {}, {})", text(campaign)?, text(variant)?, lit(*weight)));
        }
    }
    let weights = if rows.is_empty() {
        "SELECT CAST(NULL AS STRING) AS campaign, CAST(NULL AS STRING) AS variant, CAST(NULL AS DOUBLE) AS weight WHERE 1 = 0".to_owned()
    } else {
        format!("SELECT campaign, variant, weight FROM (VALUES {}) AS w(campaign, variant, weight)", rows.join(", "))
    };
    let staging = match p.source {
        Source::Plain => "-- Input: perso_exposures(visitor_id, ts_us BIGINT, campaign, variant) and
-- perso_orders(visitor_id, ts_us BIGINT, order_id, revenue DOUBLE).
CREATE OR REPLACE TEMPORARY VIEW perso_r_kinds AS
SELECT DISTINCT campaign, 'experiment' AS kind FROM perso_exposures;
"
        .to_owned(),
        Source::Ga4 => format!(
            "-- Input: perso_ga4_events(event_name, event_timestamp BIGINT, user_pseudo_id, experiment_id,
-- variation_id, promotion_id, transaction_id, purchase_revenue DOUBLE): GA4 events with
-- the parameters as columns (docs/report.md shows the flattening for each engine).
CREATE OR REPLACE TEMPORARY VIEW perso_r_ga4 AS
SELECT event_name, CAST(event_timestamp AS BIGINT) AS ts_us, user_pseudo_id AS visitor_id,
       NULLIF(experiment_id, '') AS experiment_id, NULLIF(variation_id, '') AS variation_id,
       NULLIF(promotion_id, '') AS promotion_id, transaction_id, purchase_revenue
FROM perso_ga4_events
WHERE event_name IN ('experiment_viewed', 'view_promotion', 'purchase')
  AND user_pseudo_id IS NOT NULL AND user_pseudo_id <> '' AND event_timestamp IS NOT NULL;

CREATE OR REPLACE TEMPORARY VIEW perso_r_experiment_events AS
SELECT visitor_id, ts_us, experiment_id AS campaign, variation_id AS variant
FROM perso_r_ga4
WHERE event_name = 'experiment_viewed' AND experiment_id IS NOT NULL AND variation_id IS NOT NULL;

-- A view_promotion counts only for campaigns with no experiment_viewed at all.
CREATE OR REPLACE TEMPORARY VIEW perso_exposures AS
SELECT visitor_id, ts_us, campaign, variant FROM perso_r_experiment_events
UNION ALL
SELECT p.visitor_id, p.ts_us, p.promotion_id AS campaign, '{SHOWN}' AS variant
FROM perso_r_ga4 p
LEFT JOIN (SELECT DISTINCT campaign FROM perso_r_experiment_events) e ON e.campaign = p.promotion_id
WHERE p.event_name = 'view_promotion' AND p.promotion_id IS NOT NULL AND e.campaign IS NULL;

CREATE OR REPLACE TEMPORARY VIEW perso_r_kinds AS
SELECT campaign, MIN(kind) AS kind FROM (
  SELECT DISTINCT campaign, 'experiment' AS kind FROM perso_r_experiment_events
  UNION ALL
  SELECT DISTINCT promotion_id AS campaign, 'promotion' AS kind FROM perso_r_ga4
  WHERE event_name = 'view_promotion' AND promotion_id IS NOT NULL
) k GROUP BY campaign;

-- A purchase without a transaction id is its own order, named visitor@timestamp.
CREATE OR REPLACE TEMPORARY VIEW perso_orders AS
SELECT visitor_id, ts_us,
       COALESCE(NULLIF(NULLIF(transaction_id, ''), '(not set)'), CONCAT(visitor_id, '@', CAST(ts_us AS STRING))) AS order_id,
       COALESCE(purchase_revenue, 0) AS revenue
FROM perso_r_ga4
WHERE event_name = 'purchase' AND COALESCE(purchase_revenue, 0) >= 0;
"
        ),
    };
    let moments = |prefix: &str| {
        format!(
            "CAST({prefix}.conversions AS DOUBLE) / {prefix}.visitors AS cr_mean,
       (CAST({prefix}.conversions AS DOUBLE) / {prefix}.visitors) * (1 - CAST({prefix}.conversions AS DOUBLE) / {prefix}.visitors) AS cr_var,
       CAST({prefix}.revenue_cents AS DOUBLE) / {prefix}.visitors AS rpv_mean,
       CASE WHEN {prefix}.visitors < 2 THEN 0
            ELSE GREATEST(0, ({prefix}.revenue_cents_squared - CAST({prefix}.revenue_cents AS DOUBLE) * {prefix}.revenue_cents / {prefix}.visitors) / ({prefix}.visitors - 1)) END AS rpv_var"
        )
    };
    // Variance, degrees of freedom and estimate of one metric's lift (NULL when undefined).
    let lift_parts = |m: &str| {
        let ok = format!("c.visitors >= 2 AND t.visitors >= 2 AND c.{m}_mean > 0");
        let var = format!(
            "t.{m}_var / (c.{m}_mean * c.{m}_mean * t.visitors) + c.{m}_var * t.{m}_mean * t.{m}_mean / (POWER(c.{m}_mean, 4) * c.visitors)"
        );
        let (vb, va) = (format!("(t.{m}_var / t.visitors)"), format!("(c.{m}_var / c.visitors)"));
        format!(
            "CASE WHEN {ok} THEN {var} END AS {m}_v,
       CASE WHEN {ok} THEN POWER({vb} + {va}, 2) / NULLIF({vb} * {vb} / (t.visitors - 1) + {va} * {va} / (c.visitors - 1), 0) END AS {m}_dof,
       CASE WHEN {ok} THEN (t.{m}_mean - c.{m}_mean) / c.{m}_mean END AS {m}_est"
        )
    };
    // The interval from the parts (the t quantile written once per metric, over columns).
    let finish_lift = |m: &str| {
        let tq = t_quantile(z, &format!("{m}_dof"));
        let ok = format!("{m}_v > 0 AND {m}_dof IS NOT NULL");
        format!(
            "CASE WHEN {ok} THEN {m}_est END AS {m}_lift,
       CASE WHEN {ok} THEN {m}_est - {tq} * SQRT({m}_v) END AS {m}_ci_low,
       CASE WHEN {ok} THEN {m}_est + {tq} * SQRT({m}_v) END AS {m}_ci_high,
       CASE WHEN {ok} THEN {m}_est / SQRT({m}_v) END AS {m}_x"
        )
    };
    let ctes = format!(
        "WITH arms AS (SELECT * FROM perso_r_arms),
campaigns AS (SELECT * FROM perso_r_campaigns),
  -- Sample-ratio check: the known weights when every arm seen has one, else an equal split.
srm_basis AS (
SELECT c.campaign,
       CASE WHEN wc.weighted_arms IS NOT NULL AND COALESCE(u.unweighted, 0) = 0 THEN 'weights' ELSE 'equal' END AS basis
FROM campaigns c
LEFT JOIN (SELECT campaign, COUNT(*) AS weighted_arms FROM perso_r_weights WHERE weight > 0 GROUP BY campaign) wc
  ON wc.campaign = c.campaign
LEFT JOIN (
  SELECT a.campaign, SUM(CASE WHEN w.weight IS NULL OR w.weight <= 0 THEN 1 ELSE 0 END) AS unweighted
  FROM arms a LEFT JOIN perso_r_weights w ON w.campaign = a.campaign AND w.variant = a.variant
  GROUP BY a.campaign
) u ON u.campaign = c.campaign
),
srm_arms AS (
SELECT b.campaign, w.variant, w.weight
FROM srm_basis b JOIN perso_r_weights w ON w.campaign = b.campaign
WHERE b.basis = 'weights' AND w.weight > 0
UNION ALL
SELECT b.campaign, a.variant, CAST(1 AS DOUBLE) AS weight
FROM srm_basis b JOIN arms a ON a.campaign = b.campaign
WHERE b.basis = 'equal'
),
srm_cells AS (
SELECT s.campaign, s.variant, s.weight / t.weight_sum AS share, COALESCE(a.visitors, 0) AS observed, t.arms
FROM srm_arms s
JOIN (SELECT campaign, SUM(weight) AS weight_sum, COUNT(*) AS arms FROM srm_arms GROUP BY campaign) t
  ON t.campaign = s.campaign
LEFT JOIN arms a ON a.campaign = s.campaign AND a.variant = s.variant
WHERE t.arms >= 2
),
srm AS (
SELECT campaign, chi2, df, {chi2_sf} AS p_value
FROM (
  SELECT campaign, chi2, df, {tail_s} AS phi_neg_sqrt
  FROM (
    SELECT campaign, chi2, df, SQRT(chi2) AS s
    FROM (
      SELECT c.campaign, MIN(c.arms) - 1 AS df,
             SUM(POWER(c.observed - n.n * c.share, 2) / (n.n * c.share)) AS chi2
      FROM srm_cells c
      JOIN (SELECT campaign, SUM(observed) AS n FROM srm_cells GROUP BY campaign) n ON n.campaign = c.campaign
      WHERE n.n > 0
      GROUP BY c.campaign
    ) w
  ) x
) y
),
moments AS (
SELECT a.campaign, a.variant, a.visitors, a.conversions, a.revenue_cents, a.revenue_cents_squared,
       {moments_a}
FROM arms a
),
  -- Lifts against the control: delta method, Welch degrees of freedom, Cornish-Fisher t quantile.
lifts AS (
SELECT campaign, variant, {finish_cr}, {finish_rpv}
FROM (
  SELECT t.campaign, t.variant,
     {parts_cr},
     {parts_rpv}
  FROM moments t JOIN moments c ON c.campaign = t.campaign AND c.variant = {control}
  WHERE t.variant <> {control}
) p
),
  -- Chance to win: Phi(lift / standard error).
chance AS (
SELECT campaign, variant,
       CASE WHEN cr_x > 0 THEN 1 - cr_t ELSE cr_t END AS cr_chance_to_win,
       CASE WHEN rpv_x > 0 THEN 1 - rpv_t ELSE rpv_t END AS rpv_chance_to_win
FROM (
  SELECT campaign, variant, cr_x, rpv_x, {tail_cr} AS cr_t, {tail_rpv} AS rpv_t
  FROM (SELECT campaign, variant, cr_x, rpv_x, ABS(cr_x) AS cr_a, ABS(rpv_x) AS rpv_a FROM lifts) a
) t
)",
        chi2_sf = chi2_sf("chi2", "df", "phi_neg_sqrt"),
        tail_s = phi_tail("s"),
        tail_cr = phi_tail("cr_a"),
        tail_rpv = phi_tail("rpv_a"),
        moments_a = moments("a"),
        parts_cr = lift_parts("cr"),
        parts_rpv = lift_parts("rpv"),
        finish_cr = finish_lift("cr"),
        finish_rpv = finish_lift("rpv"),
    );
    Ok(format!(
        "-- Generated by `perso report --emit-sql`: the same rules and maths as the native
-- report (docs/report.md). Runs on DuckDB and Spark SQL; reruns cleanly (temporary views only).
-- Parameters: control = {control}, confidence = {confidence}, looks = {looks} (z = {z_text}),
-- window = {window_text}, SRM threshold p < {srm_p}.

{staging}
CREATE OR REPLACE TEMPORARY VIEW perso_r_weights AS
{weights};

-- Each visitor's first exposure per campaign; more than one variant: left out.
CREATE OR REPLACE TEMPORARY VIEW perso_r_first AS
SELECT campaign, visitor_id, MIN(ts_us) AS first_us, MIN(variant) AS variant, COUNT(DISTINCT variant) AS variants
FROM perso_exposures
{filter}
GROUP BY campaign, visitor_id;

-- One row per order id: earliest time, highest revenue (whole cents), smallest visitor id.
CREATE OR REPLACE TEMPORARY VIEW perso_r_orders AS
SELECT order_id, MIN(visitor_id) AS visitor_id, MIN(ts_us) AS ts_us, MAX(CAST(ROUND(revenue * 100) AS BIGINT)) AS cents
FROM perso_orders
GROUP BY order_id;

-- An order counts when it comes strictly after the first exposure (and within the window).
CREATE OR REPLACE TEMPORARY VIEW perso_r_visitors AS
SELECT f.campaign, f.variant, f.visitor_id,
       MAX(CASE WHEN o.order_id IS NULL THEN 0 ELSE 1 END) AS converted,
       COALESCE(SUM(o.cents), 0) AS cents
FROM perso_r_first f
LEFT JOIN perso_r_orders o ON o.visitor_id = f.visitor_id AND o.ts_us > f.first_us{window}
WHERE f.variants = 1
GROUP BY f.campaign, f.variant, f.visitor_id;

CREATE OR REPLACE TEMPORARY VIEW perso_r_arms AS
SELECT campaign, variant, COUNT(*) AS visitors, SUM(converted) AS conversions, SUM(cents) AS revenue_cents,
       SUM(CAST(cents AS DOUBLE) * CAST(cents AS DOUBLE)) AS revenue_cents_squared
FROM perso_r_visitors
GROUP BY campaign, variant;

CREATE OR REPLACE TEMPORARY VIEW perso_r_campaigns AS
SELECT f.campaign, MIN(k.kind) AS kind, MIN(f.first_us) AS first_us, MAX(f.first_us) AS last_us,
       SUM(CASE WHEN f.variants > 1 THEN 1 ELSE 0 END) AS excluded_visitors
FROM perso_r_first f JOIN perso_r_kinds k ON k.campaign = f.campaign
GROUP BY f.campaign;

-- The outputs. Everything below the two aggregates is a CTE of each output, so an engine
-- that inlines views (DuckDB, Spark) computes the aggregates once per output, not once
-- per reference (DuckDB materializes a CTE read more than once; Spark reuses the exchange).
CREATE OR REPLACE TEMPORARY VIEW perso_report_arms AS
{ctes}
SELECT m.campaign, m.variant, CASE WHEN m.variant = {control} THEN 1 ELSE 0 END AS is_control,
       m.visitors, m.conversions, m.revenue_cents, m.revenue_cents_squared, s.share AS expected_share,
       m.cr_mean AS conversion_rate, m.rpv_mean / 100 AS revenue_per_visitor,
       l.cr_lift, l.cr_ci_low, l.cr_ci_high, w.cr_chance_to_win,
       l.rpv_lift, l.rpv_ci_low, l.rpv_ci_high, w.rpv_chance_to_win
FROM moments m
LEFT JOIN lifts l ON l.campaign = m.campaign AND l.variant = m.variant
LEFT JOIN chance w ON w.campaign = m.campaign AND w.variant = m.variant
LEFT JOIN srm_cells s ON s.campaign = m.campaign AND s.variant = m.variant;

CREATE OR REPLACE TEMPORARY VIEW perso_report_campaigns AS
{ctes}
SELECT c.campaign, c.kind, ctl.variant AS control, COALESCE(v.visitors, 0) AS visitors, c.excluded_visitors,
       c.first_us AS first_exposure_us, c.last_us AS last_exposure_us,
       CASE WHEN r.campaign IS NOT NULL THEN b.basis END AS srm_expected,
       r.chi2 AS srm_chi2, r.df AS srm_df, r.p_value AS srm_p_value,
       CASE WHEN r.campaign IS NULL THEN NULL WHEN r.p_value < {srm_p} THEN 1 ELSE 0 END AS srm_mismatch
FROM campaigns c
LEFT JOIN (SELECT campaign, SUM(visitors) AS visitors FROM arms GROUP BY campaign) v ON v.campaign = c.campaign
LEFT JOIN (SELECT campaign, variant FROM arms WHERE variant = {control}) ctl ON ctl.campaign = c.campaign
LEFT JOIN srm_basis b ON b.campaign = c.campaign
LEFT JOIN srm r ON r.campaign = c.campaign;
",
        confidence = s.confidence,
        looks = s.looks,
        z_text = z,
        window_text = s.window_days.map_or("none".to_owned(), |d| format!("{d} days")),
        srm_p = lit(s.srm_p),
    ))
}
