//! `perso profiles`: per-customer RFM scores and lifetime-value bands, and the
//! cross-sell affinity table, from an order-history CSV, streamed
//! ([`orders`] -> [`history`] -> [`scores`] / [`affinity`] -> [`output`]); or the same
//! computation as SQL ([`sql`]).

pub mod affinity;
pub mod cold_start;
pub mod history;
pub mod orders;
mod output;
pub mod scores;
pub mod sql;

use crate::error::{CliError, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Order-history CSV: customer_id, order_id, date, sku, category, quantity, price.
    pub orders: Option<PathBuf>,
    /// Reference date for recency (YYYY-MM-DD); default: the day after the latest order.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Write the per-customer scores here (JSONL, one `{"customer_id", "customer"}` per line).
    /// Serve each line to that customer alone; never put it in the public bundle.
    #[arg(long)]
    pub customers_out: Option<PathBuf>,
    /// Write the affinity table (the bundle's `affinity` object) here.
    #[arg(long)]
    pub affinity_out: Option<PathBuf>,
    /// Put the affinity table into this bundle JSON (its other fields are kept as they are).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Re-sign the rewritten --bundle (and its bundle.bin) with this key; without it a
    /// signature beside the bundle is reported stale.
    #[arg(long, requires = "bundle")]
    pub key: Option<PathBuf>,
    /// Write the full tables (customer metrics, affinity with support/confidence/lift) as CSV here.
    #[arg(long)]
    pub tables_dir: Option<PathBuf>,
    /// Related skus kept per item and per category.
    #[arg(long, default_value_t = 5)]
    pub top_k: usize,
    /// Minimum support of a pair (fraction of orders holding both); at least one order.
    #[arg(long, default_value_t = 0.001)]
    pub min_support: f64,
    /// Stop at the first bad row instead of reporting and skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Show a progress bar on stderr (default: when stderr is a terminal).
    #[arg(long)]
    pub progress: bool,
    /// Write the computation as SQL (DuckDB / Spark SQL) to this file instead of running it.
    #[arg(long, value_name = "FILE")]
    pub emit_sql: Option<PathBuf>,
}

/// Bad rows printed individually before the rest are only counted.
const ROW_ERRORS_SHOWN: usize = 20;

pub fn run(args: ProfilesArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.min_support) {
        return Err(CliError::Usage(format!("--min-support {} must be between 0 and 1", args.min_support)));
    }
    if args.top_k == 0 {
        return Err(CliError::Usage("--top-k must be at least 1".into()));
    }
    let as_of_day = match &args.as_of {
        Some(text) => Some(
            orders::parse_day(text)
                .filter(|_| text.len() == 10)
                .ok_or_else(|| CliError::Usage(format!("--as-of `{text}` is not a YYYY-MM-DD date")))?,
        ),
        None => None,
    };
    let rules = affinity::AffinityRules { min_support: args.min_support, top_k: args.top_k };
    if let Some(sql_path) = &args.emit_sql {
        crate::error::write_file(sql_path, sql::script(args.as_of.as_deref(), rules).as_bytes())?;
        eprintln!("wrote {}", sql_path.display());
        if args.orders.is_none() {
            return Ok(());
        }
    }
    let Some(orders_path) = &args.orders else {
        return Err(CliError::Usage("give an order-history CSV (or only --emit-sql FILE)".into()));
    };
    let outputs = [&args.customers_out, &args.affinity_out, &args.bundle, &args.tables_dir];
    if args.emit_sql.is_none() && outputs.iter().all(|o| o.is_none()) {
        return Err(CliError::Usage(
            "nothing to write: give --customers-out, --affinity-out, --bundle, --tables-dir or --emit-sql".into(),
        ));
    }
    let file = std::fs::File::open(orders_path).map_err(|e| CliError::io(orders_path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = orders::OrderReader::new(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|message| CliError::input(orders_path, message))?;
    let progress = progress_bar(args.progress, size);
    let mut history = history::History::default();
    let mut bad_rows = 0u64;
    let mut rows = 0u64;
    while let Some(row) = reader.next_line() {
        rows += 1;
        let result = row.and_then(|(number, line)| history.add(&line, number));
        if let Err(error) = result {
            if args.strict {
                progress.finish_and_clear();
                return Err(CliError::input(orders_path, format!("{error} (--strict: stopped)")));
            }
            bad_rows += 1;
            if bad_rows as usize <= ROW_ERRORS_SHOWN {
                progress.suspend(|| eprintln!("warning: {}: {error}; row skipped", orders_path.display()));
            }
        }
        if rows & 0xFFFF == 0 {
            progress.set_position(reader.bytes_read());
        }
    }
    progress.finish_and_clear();
    if bad_rows as usize > ROW_ERRORS_SHOWN {
        eprintln!("warning: {} more bad rows skipped", bad_rows as usize - ROW_ERRORS_SHOWN);
    }
    if history.totals.is_empty() {
        return Err(CliError::input(orders_path, "no valid order line"));
    }
    let as_of_day = as_of_day.unwrap_or_else(|| history.max_day.unwrap_or(0) + 1);
    let customer_scores = scores::score(&history.totals, as_of_day);
    let affinity = affinity::compute(&mut history, rules);
    let (popular, cold) = cold_start::survey(&mut history, &affinity);
    if let Some(cold) = &cold {
        eprintln!("warning: {}: {}", orders_path.display(), cold.describe());
    }
    eprintln!(
        "{} lines ({} skipped), {} orders, {} customers, {} skus; recency as of {}; pairs need {} orders",
        history.lines,
        bad_rows,
        affinity.orders,
        history.totals.len(),
        history.skus.names.len(),
        orders::civil_from_days(as_of_day),
        affinity.min_pair_orders
    );
    output::write_all(&args, &history, &customer_scores, &affinity, &output::Fallback { popular, cold })
}

fn progress_bar(forced: bool, size: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !(forced || std::io::stderr().is_terminal()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(size), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading orders [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
