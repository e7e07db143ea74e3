//! `perso sample-exposures`: a seeded simulation of experiments with a **known true
//! lift**, written as the exports `perso report` reads (the plain CSV pair, GA4 JSON
//! lines or GA4 CSV). The tests use it to check that the report's intervals cover the
//! truth as often as they claim, that a skewed split is flagged and that a no-effect
//! test is rarely called a win; the benchmark uses it for 10 million rows.
//!
//! Each campaign has its own visitors. A visitor is assigned an arm with the `--split`
//! weights (default: the `--variants` weights; a different `--split` injects a sample
//! ratio mismatch), is exposed one to three times within `--days`, and converts with
//! probability `--base-rate` in the control and `base-rate × (1 + lift)` elsewhere;
//! a converted visitor places one order, sometimes two, of log-normal value (the same
//! in every arm), so the true lift of conversion rate and of revenue per visitor are
//! both `--lift`. Noise the report must handle: a few visitors also see a second
//! variant (`--mixed`), some purchase events are sent twice, some orders come before
//! the exposure, and GA4 files carry page views.

use crate::error::{CliError, Result};
use clap::{Args, ValueEnum};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SampleFormat {
    /// exposures.csv and orders.csv
    Plain,
    /// events.jsonl in GA4's BigQuery export schema
    Ga4Jsonl,
    /// events.csv: GA4 events with the parameters as columns
    Ga4Csv,
}

#[derive(Debug, Args)]
pub struct SampleExposuresArgs {
    /// Folder to write into.
    #[arg(long)]
    pub out_dir: PathBuf,
    #[arg(long, value_enum, default_value = "plain")]
    pub format: SampleFormat,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Independent experiments (campaign ids `exp-001`, ...; one campaign: `--campaign`).
    #[arg(long, default_value_t = 1)]
    pub campaigns: u32,
    /// Campaign id when there is one campaign.
    #[arg(long, default_value = "aff-hero")]
    pub campaign: String,
    /// Visitors per campaign.
    #[arg(long, default_value_t = 10_000)]
    pub visitors: u64,
    /// Arms and their intended weights (`holdout` is the control).
    #[arg(long, default_value = "a:50,holdout:50")]
    pub variants: String,
    /// The split actually used to assign visitors (default: the weights of --variants).
    #[arg(long)]
    pub split: Option<String>,
    /// Conversion probability in the control.
    #[arg(long, default_value_t = 0.05)]
    pub base_rate: f64,
    /// True relative lift of every non-control arm (conversion and revenue per visitor).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub lift: f64,
    /// Mean order value.
    #[arg(long, default_value_t = 60.0)]
    pub order_value: f64,
    /// Share of visitors who also see a second variant.
    #[arg(long, default_value_t = 0.002)]
    pub mixed: f64,
    /// Days over which visitors arrive.
    #[arg(long, default_value_t = 14)]
    pub days: u32,
    /// First day (UTC, YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-01")]
    pub start: String,
}

fn parse_arms(text: &str) -> Result<Vec<(String, f64)>> {
    let arms: Option<Vec<(String, f64)>> = text
        .split(',')
        .map(|arm| {
            let (id, w) = arm.split_once(':')?;
            let w: f64 = w.trim().parse().ok().filter(|w: &f64| w.is_finite() && *w >= 0.0)?;
            Some((id.trim().to_owned(), w)).filter(|(id, _)| !id.is_empty())
        })
        .collect();
    arms.filter(|a| a.len() >= 2 && a.iter().any(|(_, w)| *w > 0.0))
        .ok_or_else(|| CliError::Usage(format!("`{text}`: expected at least two VARIANT:WEIGHT, e.g. a:50,holdout:50")))
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller; `1 - u` keeps the logarithm finite.
    let (u, v): (f64, f64) = (1.0 - rng.gen::<f64>(), rng.gen());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

// One sink per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Sink {
    Plain {
        exposures: csv::Writer<std::io::BufWriter<std::fs::File>>,
        orders: csv::Writer<std::io::BufWriter<std::fs::File>>,
    },
    Jsonl(std::io::BufWriter<std::fs::File>),
    Ga4Csv(csv::Writer<std::io::BufWriter<std::fs::File>>),
}

fn create(path: &std::path::Path) -> Result<std::io::BufWriter<std::fs::File>> {
    Ok(std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).map_err(|e| CliError::io(path, e))?))
}

fn write_error(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("writing the sample: {e}"))
}

impl Sink {
    fn exposure(&mut self, visitor: &str, ts_us: i64, campaign: &str, variant: &str) -> Result<()> {
        match self {
            Sink::Plain { exposures, .. } => exposures
                .write_record([visitor, &crate::report::event::format_timestamp_us(ts_us), campaign, variant])
                .map_err(write_error),
            // Ids here are [A-Za-z0-9._-] only, so no JSON escaping is needed.
            Sink::Jsonl(out) => writeln!(
                out,
                r#"{{"event_date":"{}","event_timestamp":"{ts_us}","event_name":"experiment_viewed","event_params":[{{"key":"experiment_id","value":{{"string_value":"{campaign}"}}}},{{"key":"variation_id","value":{{"string_value":"{variant}"}}}}],"user_pseudo_id":"{visitor}","device":{{"category":"mobile"}}}}"#,
                event_date(ts_us)
            )
            .map_err(write_error),
            Sink::Ga4Csv(out) => out
                .write_record(["experiment_viewed", &ts_us.to_string(), visitor, campaign, variant, "", ""])
                .map_err(write_error),
        }
    }

    fn order(&mut self, visitor: &str, ts_us: i64, order_id: &str, revenue: f64) -> Result<()> {
        let revenue = format!("{revenue:.2}");
        match self {
            Sink::Plain { orders, .. } => orders
                .write_record([visitor, &crate::report::event::format_timestamp_us(ts_us), order_id, &revenue])
                .map_err(write_error),
            Sink::Jsonl(out) => writeln!(
                out,
                r#"{{"event_date":"{}","event_timestamp":"{ts_us}","event_name":"purchase","event_params":[{{"key":"currency","value":{{"string_value":"EUR"}}}}],"user_pseudo_id":"{visitor}","ecommerce":{{"transaction_id":"{order_id}","purchase_revenue":{revenue}}}}}"#,
                event_date(ts_us)
            )
            .map_err(write_error),
            Sink::Ga4Csv(out) => out
                .write_record(["purchase", &ts_us.to_string(), visitor, "", "", order_id, &revenue])
                .map_err(write_error),
        }
    }

    fn page_view(&mut self, visitor: &str, ts_us: i64) -> Result<()> {
        match self {
            Sink::Plain { .. } => Ok(()),
            Sink::Jsonl(out) => writeln!(
                out,
                r#"{{"event_date":"{}","event_timestamp":"{ts_us}","event_name":"page_view","event_params":[{{"key":"page_location","value":{{"string_value":"https://gizmos.example/"}}}}],"user_pseudo_id":"{visitor}"}}"#,
                event_date(ts_us)
            )
            .map_err(write_error),
            Sink::Ga4Csv(out) => {
                out.write_record(["page_view", &ts_us.to_string(), visitor, "", "", "", ""]).map_err(write_error)
            }
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Plain { mut exposures, mut orders } => {
                exposures.flush().map_err(write_error)?;
                orders.flush().map_err(write_error)
            }
            Sink::Jsonl(mut out) => out.flush().map_err(write_error),
            Sink::Ga4Csv(mut out) => out.flush().map_err(write_error),
        }
    }
}

fn event_date(ts_us: i64) -> String {
    crate::profiles::orders::civil_from_days(ts_us.div_euclid(86_400_000_000)).replace('-', "")
}

pub fn run(args: SampleExposuresArgs) -> Result<()> {
    let arms = parse_arms(&args.variants)?;
    let split = match &args.split {
        Some(text) => {
            let split = parse_arms(text)?;
            if split.iter().map(|(v, _)| v).ne(arms.iter().map(|(v, _)| v)) {
                return Err(CliError::Usage("--split must name the same variants as --variants, in order".into()));
            }
            split
        }
        None => arms.clone(),
    };
    if !(0.0..1.0).contains(&args.base_rate) || args.base_rate * (1.0 + args.lift) >= 1.0 || args.lift <= -1.0 {
        return Err(CliError::Usage("--base-rate × (1 + --lift) must be a probability".into()));
    }
    let start_day = crate::profiles::orders::parse_day(&args.start)
        .filter(|_| args.start.len() == 10)
        .ok_or_else(|| CliError::Usage(format!("--start `{}` is not a YYYY-MM-DD date", args.start)))?;
    if args.days == 0 || args.campaigns == 0 {
        return Err(CliError::Usage("--days and --campaigns must be at least 1".into()));
    }
    std::fs::create_dir_all(&args.out_dir).map_err(|e| CliError::io(&args.out_dir, e))?;
    let mut sink = match args.format {
        SampleFormat::Plain => {
            let mut exposures = csv::Writer::from_writer(create(&args.out_dir.join("exposures.csv"))?);
            let mut orders = csv::Writer::from_writer(create(&args.out_dir.join("orders.csv"))?);
            exposures.write_record(crate::report::read_csv::EXPOSURE_COLUMNS).map_err(write_error)?;
            orders.write_record(crate::report::read_csv::ORDER_COLUMNS).map_err(write_error)?;
            Sink::Plain { exposures, orders }
        }
        SampleFormat::Ga4Jsonl => Sink::Jsonl(create(&args.out_dir.join("events.jsonl"))?),
        SampleFormat::Ga4Csv => {
            let mut out = csv::Writer::from_writer(create(&args.out_dir.join("events.csv"))?);
            out.write_record([
                "event_name",
                "event_timestamp",
                "user_pseudo_id",
                "experiment_id",
                "variation_id",
                "transaction_id",
                "purchase_revenue",
            ])
            .map_err(write_error)?;
            Sink::Ga4Csv(out)
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let total: f64 = split.iter().map(|(_, w)| w).sum();
    let day_us = 86_400_000_000i64;
    let start_us = start_day * day_us;
    let period_us = i64::from(args.days) * day_us;
    // Log-normal order values with mean `order_value` (sigma 0.8).
    let sigma = 0.8;
    let mu = args.order_value.max(0.01).ln() - sigma * sigma / 2.0;
    let (mut rows, mut order_number) = (0u64, 0u64);
    for c in 0..args.campaigns {
        let campaign = if args.campaigns == 1 { args.campaign.clone() } else { format!("exp-{:03}", c + 1) };
        for v in 0..args.visitors {
            let first_us = start_us + rng.gen_range(0..period_us);
            // GA4-like pseudo ids; the seed keeps samples made to be concatenated apart.
            let visitor = format!("{}{:09}.{}", args.seed, v + u64::from(c) * args.visitors, first_us / 1_000_000);
            let x = rng.gen::<f64>() * total;
            let mut cumulative = 0.0;
            let arm = split
                .iter()
                .position(|(_, w)| {
                    cumulative += w;
                    x < cumulative
                })
                .unwrap_or(split.len() - 1);
            let variant = &arms[arm].0;
            let views = 1 + u32::from(rng.gen_bool(0.4)) + u32::from(rng.gen_bool(0.2));
            for view in 0..views {
                let ts = if view == 0 { first_us } else { first_us + rng.gen_range(1..=3 * day_us) };
                sink.exposure(&visitor, ts, &campaign, variant)?;
                rows += 1;
            }
            if args.mixed > 0.0 && rng.gen_bool(args.mixed.min(1.0)) {
                let other = &arms[(arm + 1) % arms.len()].0;
                sink.exposure(&visitor, first_us + rng.gen_range(1..day_us), &campaign, other)?;
                rows += 1;
            }
            sink.page_view(&visitor, first_us.saturating_sub(1_000_000))?;
            if rng.gen_bool(0.02) {
                // An order before the first exposure: never attributed.
                order_number += 1;
                let ts = first_us - rng.gen_range(1..=7 * day_us);
                sink.order(&visitor, ts, &format!("T{}-{order_number:09}", args.seed), 20.0)?;
                rows += 1;
            }
            let rate = if *variant == "holdout" { args.base_rate } else { args.base_rate * (1.0 + args.lift) };
            if rng.gen_bool(rate) {
                let orders = 1 + u32::from(rng.gen_bool(0.15));
                for _ in 0..orders {
                    order_number += 1;
                    let id = format!("T{}-{order_number:09}", args.seed);
                    let delay = (-(1.0 - rng.gen::<f64>()).ln() * 2.0 * day_us as f64) as i64 + 1;
                    let ts = first_us + delay;
                    let value = (mu + sigma * normal(&mut rng)).exp();
                    sink.order(&visitor, ts, &id, value)?;
                    rows += 1;
                    if rng.gen_bool(0.02) {
                        // GA4 sometimes records a purchase twice: same transaction id.
                        sink.order(&visitor, ts + 1_000_000, &id, value)?;
                        rows += 1;
                    }
                }
            }
        }
    }
    sink.finish()?;
    eprintln!(
        "{} campaigns × {} visitors, {rows} exposure and order rows, true lift {} (seed {}) in {}",
        args.campaigns,
        args.visitors,
        args.lift,
        args.seed,
        args.out_dir.display()
    );
    Ok(())
}
