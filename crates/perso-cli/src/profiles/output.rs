//! Writes the profiles where they are used: per-customer scores (JSONL, served by the
//! store to each customer alone), the affinity table (a JSON file, or spliced into a
//! bundle), and the full tables as CSV (for analysts, and to compare with the SQL).

use super::affinity::{self, Affinity, Related};
use super::history::History;
use super::scores::CustomerScore;
use super::ProfilesArgs;
use crate::error::{write_file, CliError, Result};
use crate::json_order::OrderedObject;
use std::io::Write;
use std::path::Path;

pub fn write_all(args: &ProfilesArgs, history: &History, scores: &[CustomerScore], affinity: &Affinity) -> Result<()> {
    if let Some(path) = &args.customers_out {
        write_customers(path, history, scores)?;
        eprintln!("wrote {} ({} customers)", path.display(), scores.len());
    }
    if let Some(path) = &args.affinity_out {
        let json = affinity::to_bundle_json(affinity, None);
        write_file(path, format!("{}\n", affinity::to_text(&json)).as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.bundle {
        splice_into_bundle(path, affinity)?;
        eprintln!("updated `affinity` in {}", path.display());
    }
    if let Some(dir) = &args.tables_dir {
        write_tables(dir, history, scores, affinity)?;
        eprintln!("wrote customer_scores.csv, item_affinity.csv, category_affinity.csv in {}", dir.display());
    }
    Ok(())
}

/// One line per customer, sorted by id: `{"customer_id": .., "customer": {known, ltv_band, rfm}}`;
/// the `customer` object is what the store's page passes as the context's `customer`.
fn write_customers(path: &Path, history: &History, scores: &[CustomerScore]) -> Result<()> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| history.customers.names[*a].cmp(&history.customers.names[*b]));
    let mut out = Vec::with_capacity(scores.len() * 96);
    for i in order {
        let score = &scores[i];
        let line = serde_json::json!({
            "customer_id": history.customers.names[i],
            "customer": { "known": true, "ltv_band": score.ltv_band, "rfm": score.rfm },
        });
        serde_json::to_writer(&mut out, &line).map_err(|e| CliError::input(path, e.to_string()))?;
        out.push(b'\n');
    }
    write_file(path, &out)
}

/// Replaces (or adds) the bundle's `affinity`, keeping every other field's text and
/// order; skus missing from the bundle's `products` are left out.
fn splice_into_bundle(path: &Path, affinity: &Affinity) -> Result<()> {
    let bytes = crate::error::read_file(path)?;
    let mut bundle: OrderedObject =
        serde_json::from_slice(&bytes).map_err(|e| CliError::input(path, format!("not a JSON object: {e}")))?;
    let catalogue = bundle
        .get("products")
        .and_then(|raw| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw.get()).ok())
        .map(|products| products.keys().cloned().collect::<std::collections::BTreeSet<_>>());
    let table = affinity::to_bundle_json(affinity, catalogue.as_ref());
    bundle
        .set_raw("affinity", affinity::to_text(&table).replace('\n', "\n  "))
        .map_err(|e| CliError::input(path, e))?;
    write_file(path, bundle.to_json().as_bytes())
}

fn write_tables(dir: &Path, history: &History, scores: &[CustomerScore], affinity: &Affinity) -> Result<()> {
    let csv_error = |path: &Path, e: csv::Error| CliError::input(path, e.to_string());
    let path = dir.join("customer_scores.csv");
    let mut rows: Vec<(&str, &CustomerScore)> =
        scores.iter().enumerate().map(|(i, s)| (history.customers.names[i].as_str(), s)).collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "customer_id",
        "recency_days",
        "frequency",
        "monetary_cents",
        "r",
        "f",
        "m",
        "rfm_score",
        "ltv_band",
    ])
    .map_err(|e| csv_error(&path, e))?;
    for (id, s) in rows {
        out.write_record([
            id.to_owned(),
            s.recency_days.to_string(),
            s.frequency.to_string(),
            s.monetary_cents.to_string(),
            s.rfm.r.to_string(),
            s.rfm.f.to_string(),
            s.rfm.m.to_string(),
            s.rfm.score.to_string(),
            s.ltv_band.to_owned(),
        ])
        .map_err(|e| csv_error(&path, e))?;
    }
    write_csv(&path, out)?;
    write_affinity_table(&dir.join("item_affinity.csv"), "sku", &affinity.items)?;
    write_affinity_table(&dir.join("category_affinity.csv"), "category", &affinity.categories)
}

fn write_affinity_table(path: &Path, base_column: &str, rows: &[(String, Vec<Related>)]) -> Result<()> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [base_column, "related_sku", "pair_orders", "support", "confidence", "lift", "rank"];
    out.write_record(header).map_err(|e| CliError::input(path, e.to_string()))?;
    for (base, related) in rows {
        for (rank, r) in related.iter().enumerate() {
            out.write_record([
                base.clone(),
                r.sku.clone(),
                r.pair_orders.to_string(),
                r.support.to_string(),
                r.confidence.to_string(),
                r.lift.to_string(),
                (rank + 1).to_string(),
            ])
            .map_err(|e| CliError::input(path, e.to_string()))?;
        }
    }
    write_csv(path, out)
}

fn write_csv(path: &Path, out: csv::Writer<Vec<u8>>) -> Result<()> {
    let bytes = out.into_inner().map_err(|e| CliError::input(path, e.to_string()))?;
    write_file(path, &bytes)?;
    let _ = std::io::stderr().flush();
    Ok(())
}
