//! `perso report`: what personalization earned, from the store's own analytics export.
//!
//! The pipeline, one module per stage: readers ([`read_ga4`] for GA4's BigQuery export
//! as JSON lines, [`read_csv`] for GA4 CSV and the plain CSV pair, [`read_parquet`]) turn
//! rows into [`event::Event`]s; [`collect`] keeps per-visitor state only and attributes
//! orders; [`analyze`] computes lifts ([`stats`]) and the sample-ratio check ([`srm`]);
//! [`render_table`], [`render_html`], `--json` and [`tables`] write it. [`sql`] writes the
//! same computation for DuckDB and Spark. The rules are in docs/report.md.

pub mod analyze;
pub mod collect;
pub mod event;
mod intern;
pub mod read_csv;
pub mod read_ga4;
pub mod read_parquet;
pub mod render_html;
pub mod render_table;
pub mod sql;
pub mod srm;
pub mod stats;
mod tables;
pub mod weights;

use crate::error::{write_file, CliError, Result};
use clap::{Args, ValueEnum};
use event::{Event, ReadError};
use std::cell::Cell;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// GA4 export files (BigQuery schema): `.jsonl`/`.json`/`.ndjson` (JSON lines),
    /// `.csv`, `.parquet`; `.gz` for compressed JSON lines or CSV. Several files (daily
    /// tables) make one report.
    pub events: Vec<PathBuf>,
    /// Plain exposures CSV: visitor_id, timestamp, campaign, variant (with --orders).
    #[arg(long, requires = "orders")]
    pub exposures: Option<PathBuf>,
    /// Plain orders CSV: visitor_id, timestamp, order_id, revenue (with --exposures).
    #[arg(long, requires = "exposures")]
    pub orders: Option<PathBuf>,
    /// Read the GA4 files as this format instead of guessing from the extension.
    #[arg(long, value_enum)]
    pub format: Option<Ga4Format>,
    /// Count an order only within this many days after the visitor's first exposure.
    #[arg(long, value_name = "DAYS")]
    pub window: Option<u32>,
    /// The variant that is the control group.
    #[arg(long, default_value = weights::HOLDOUT)]
    pub control: String,
    /// The bundle: its experiments' weights are the expected split of the sample-ratio
    /// check, and only its campaigns (and `perso_global`) are reported.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Expected split of a campaign, e.g. `perso_global=personalized:95,holdout:5` (repeatable; wins over --bundle).
    #[arg(long, value_name = "CAMPAIGN=VARIANT:W,...")]
    pub weights: Vec<String>,
    /// Report only this campaign (repeatable).
    #[arg(long = "campaign", value_name = "ID")]
    pub campaigns: Vec<String>,
    /// Confidence of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// How many times these results are looked at (including this one): intervals are
    /// widened (Bonferroni) so that peeking does not inflate false wins.
    #[arg(long, default_value_t = 1)]
    pub looks: u32,
    /// Warn when a campaign's exposures span fewer days than this.
    #[arg(long, default_value_t = 7.0)]
    pub min_days: f64,
    /// Warn when an arm has fewer visitors than this.
    #[arg(long, default_value_t = 100)]
    pub min_visitors: u64,
    /// Warn when an arm has fewer conversions than this.
    #[arg(long, default_value_t = 10)]
    pub min_conversions: u64,
    /// Print the report as JSON (schema `perso.report/1`, docs/report.md) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML page (charts inline, nothing fetched).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write the report as the SQL's two tables (arms.csv, campaigns.csv) here.
    #[arg(long, value_name = "DIR")]
    pub tables_dir: Option<PathBuf>,
    /// Write the report as SQL (DuckDB / Spark SQL) to this file.
    #[arg(long, value_name = "FILE")]
    pub emit_sql: Option<PathBuf>,
    /// The SQL's input: GA4 events flattened (`ga4`) or the plain pair (`plain`);
    /// default: what the inputs given are, else `plain`.
    #[arg(long, value_enum)]
    pub sql_source: Option<sql::Source>,
    /// Stop at the first bad row instead of reporting and skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Show a progress bar on stderr (default: when stderr is a terminal).
    #[arg(long)]
    pub progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Ga4Format {
    Jsonl,
    Csv,
    Parquet,
}

/// Bad rows printed individually before the rest are only counted.
const ROW_ERRORS_SHOWN: u64 = 20;

fn format_of(path: &Path, forced: Option<Ga4Format>) -> Result<(Ga4Format, bool)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    let gz = name.ends_with(".gz");
    let stem = name.trim_end_matches(".gz");
    if let Some(format) = forced {
        return Ok((format, gz));
    }
    let format = if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") || stem.ends_with(".json") {
        Ga4Format::Jsonl
    } else if stem.ends_with(".csv") {
        Ga4Format::Csv
    } else if stem.ends_with(".parquet") {
        Ga4Format::Parquet
    } else {
        return Err(CliError::Usage(format!(
            "{}: cannot tell the format from the name; give --format jsonl|csv|parquet",
            path.display()
        )));
    };
    if gz && format == Ga4Format::Parquet {
        return Err(CliError::Usage(format!("{}: Parquet compresses itself; give the .parquet file", path.display())));
    }
    Ok((format, gz))
}

/// Counts the bytes read from the file itself (compressed bytes for `.gz`), for the bar.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Where reading is: the collector, bad-row accounting, the bar.
struct Reading {
    collector: collect::Collector,
    strict: bool,
    bar: indicatif::ProgressBar,
    /// Bytes of the files already finished.
    done_bytes: u64,
    rows: u64,
}

impl Reading {
    fn take(&mut self, path: &Path, result: std::result::Result<Event<'_>, ReadError>) -> Result<()> {
        self.rows += 1;
        let outcome = result.and_then(|event| self.collector.add(event, self.rows));
        if let Err(error) = outcome {
            if self.strict {
                self.bar.finish_and_clear();
                return Err(CliError::input(path, format!("{error} (--strict: stopped)")));
            }
            self.collector.counts.skipped_rows += 1;
            if self.collector.counts.skipped_rows <= ROW_ERRORS_SHOWN {
                self.bar.suspend(|| eprintln!("warning: {}: {error}; row skipped", path.display()));
            }
        }
        Ok(())
    }

    fn tick(&self, bytes: u64) {
        if self.rows & 0x3FFF == 0 {
            self.bar.set_position(self.done_bytes + bytes);
        }
    }
}

fn open(path: &Path, gz: bool, count: &Rc<Cell<u64>>) -> Result<Box<dyn Read>> {
    let file = std::fs::File::open(path).map_err(|e| CliError::io(path, e))?;
    let counted = Counting { inner: file, count: Rc::clone(count) };
    Ok(if gz {
        Box::new(std::io::BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(counted)))
    } else {
        Box::new(std::io::BufReader::with_capacity(1 << 20, counted))
    })
}

fn header_error(path: &Path, error: ReadError) -> CliError {
    CliError::input(path, error.to_string())
}

fn read_ga4_file(reading: &mut Reading, path: &Path, format: Ga4Format, gz: bool) -> Result<()> {
    let count = Rc::new(Cell::new(0u64));
    match format {
        Ga4Format::Jsonl => {
            let mut input = std::io::BufReader::new(open(path, gz, &count)?);
            let mut line = String::new();
            let mut number = 0u64;
            loop {
                line.clear();
                let n = input.read_line(&mut line).map_err(|e| CliError::io(path, e))?;
                if n == 0 {
                    break;
                }
                number += 1;
                let text = line.trim();
                if text.is_empty() {
                    continue;
                }
                reading.take(path, read_ga4::parse_json_line(text, number))?;
                reading.tick(count.get());
            }
        }
        Ga4Format::Csv => {
            let mut reader = read_csv::Ga4CsvReader::new(open(path, gz, &count)?).map_err(|e| header_error(path, e))?;
            while let Some(result) = reader.next_event() {
                reading.take(path, result)?;
                reading.tick(count.get());
            }
        }
        Ga4Format::Parquet => {
            let file = std::fs::File::open(path).map_err(|e| CliError::io(path, e))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let mut reader = read_parquet::ParquetReader::new(file).map_err(|e| header_error(path, e))?;
            let total = reader.total_rows.max(1);
            while let Some(result) = reader.next_event() {
                reading.take(path, result)?;
                let rows = reader.rows_read();
                reading.tick(size * rows / total);
            }
            count.set(size);
        }
    }
    reading.done_bytes += count.get();
    Ok(())
}

fn read_plain_file(reading: &mut Reading, path: &Path, kind: read_csv::PlainKind) -> Result<()> {
    let count = Rc::new(Cell::new(0u64));
    let gz = path.extension().is_some_and(|e| e == "gz");
    let mut reader = read_csv::PlainReader::new(open(path, gz, &count)?, kind).map_err(|e| header_error(path, e))?;
    while let Some(result) = reader.next_event() {
        reading.take(path, result)?;
        reading.tick(count.get());
    }
    reading.done_bytes += count.get();
    Ok(())
}

fn progress_bar(forced: bool, size: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !(forced || std::io::stderr().is_terminal()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(size), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading events [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn run(args: ReportArgs) -> Result<()> {
    if !(args.confidence > 0.5 && args.confidence < 1.0) {
        return Err(CliError::Usage(format!("--confidence {} must be between 0.5 and 1", args.confidence)));
    }
    if args.looks == 0 {
        return Err(CliError::Usage("--looks must be at least 1".into()));
    }
    if args.window == Some(0) {
        return Err(CliError::Usage("--window must be at least 1 day".into()));
    }
    let plain = args.exposures.is_some();
    if plain && !args.events.is_empty() {
        return Err(CliError::Usage("give GA4 event files or --exposures/--orders, not both".into()));
    }
    let mut formats = Vec::new();
    for path in &args.events {
        formats.push(format_of(path, args.format)?);
    }
    let (mut weights, mut only) = match &args.bundle {
        Some(path) => {
            let (weights, mut ids) = weights::from_bundle(path)?;
            ids.push(weights::GLOBAL_EXPERIMENT.into());
            (weights, Some(ids))
        }
        None => (analyze::Weights::new(), None),
    };
    for spec in &args.weights {
        let (campaign, split) = weights::parse_spec(spec)?;
        if let Some(ids) = only.as_mut().filter(|ids| !ids.contains(&campaign)) {
            ids.push(campaign.clone());
        }
        weights.insert(campaign, split);
    }
    if !args.campaigns.is_empty() {
        only = Some(args.campaigns.clone());
    }
    let per_look_confidence = 1.0 - (1.0 - args.confidence) / f64::from(args.looks);
    let settings = analyze::Settings {
        confidence: args.confidence,
        looks: args.looks,
        per_look_confidence,
        window_days: args.window,
        control: args.control.clone(),
        min_days: args.min_days,
        min_visitors: args.min_visitors,
        min_conversions: args.min_conversions,
        srm_p: srm::SRM_P,
    };
    if let Some(sql_path) = &args.emit_sql {
        let source =
            args.sql_source.unwrap_or(if args.events.is_empty() { sql::Source::Plain } else { sql::Source::Ga4 });
        let script =
            sql::script(&sql::Params { source, settings: &settings, weights: &weights, only: only.as_deref() })?;
        write_file(sql_path, script.as_bytes())?;
        eprintln!("wrote {}", sql_path.display());
        if args.events.is_empty() && !plain {
            return Ok(());
        }
    }
    if args.events.is_empty() && !plain {
        return Err(CliError::Usage(
            "give GA4 event files, or --exposures FILE --orders FILE (or only --emit-sql FILE)".into(),
        ));
    }

    let mut files: Vec<PathBuf> = args.events.clone();
    files.extend(args.exposures.iter().chain(&args.orders).cloned());
    let total: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let started = std::time::Instant::now();
    let mut reading = Reading {
        collector: collect::Collector::new(only),
        strict: args.strict,
        bar: progress_bar(args.progress, total),
        done_bytes: 0,
        rows: 0,
    };
    for (path, (format, gz)) in args.events.iter().zip(&formats) {
        read_ga4_file(&mut reading, path, *format, *gz)?;
    }
    if let (Some(exposures), Some(orders)) = (&args.exposures, &args.orders) {
        read_plain_file(&mut reading, exposures, read_csv::PlainKind::Exposures)?;
        read_plain_file(&mut reading, orders, read_csv::PlainKind::Orders)?;
    }
    reading.bar.finish_and_clear();
    let collector = reading.collector;
    let counts = collector.counts.clone();
    if counts.skipped_rows > ROW_ERRORS_SHOWN {
        eprintln!("warning: {} more bad rows skipped", counts.skipped_rows - ROW_ERRORS_SHOWN);
    }
    let (visitors, orders, held) = (collector.visitors() as u64, collector.orders() as u64, collector.heap_bytes());
    eprintln!(
        "read {} events ({} exposures, {} orders, {} other, {} skipped) in {:.1} s; {} visitors, {} distinct orders; {} MB of state ({} bytes per visitor)",
        counts.events,
        counts.exposure_events,
        counts.order_events,
        counts.other_events,
        counts.skipped_rows,
        started.elapsed().as_secs_f64(),
        visitors,
        orders,
        held / 1_000_000,
        held as u64 / visitors.max(1)
    );
    if counts.exposure_events == 0 {
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(CliError::Failed(format!(
            "no exposure events (experiment_viewed or view_promotion{}) in {}",
            if counts.ignored_exposure_events > 0 { " of the campaigns asked for" } else { "" },
            files.join(", ")
        )));
    }
    let window_us = args.window.map(|days| i64::from(days) * 86_400_000_000);
    let sums = collector.finish(window_us);
    let input =
        analyze::Input { files: files.iter().map(|f| f.display().to_string()).collect(), counts, visitors, orders };
    let report = analyze::analyze(sums, settings, &weights, input);
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Failed(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", render_table::render(&report));
    }
    if let Some(path) = &args.html {
        write_file(path, render_html::render(&report).as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(dir) = &args.tables_dir {
        tables::write(dir, &report)?;
        eprintln!("wrote arms.csv and campaigns.csv in {}", dir.display());
    }
    Ok(())
}
