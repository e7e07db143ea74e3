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

/// What stands in for co-purchases in a store with little history.
pub struct Fallback {
    /// Skus by orders, most first.
    pub popular: Vec<(String, u64)>,
    pub cold: Option<super::cold_start::ColdStart>,
}

/// How many popular skus a recommendation's fallback gets (its `count` default).
const FALLBACK_SKUS: usize = 4;

pub fn write_all(
    args: &ProfilesArgs,
    history: &History,
    scores: &[CustomerScore],
    affinity: &Affinity,
    fallback: &Fallback,
) -> Result<()> {
    if let Some(path) = &args.customers_out {
        write_customers(path, history, scores)?;
        eprintln!("wrote {} ({} customers)", path.display(), scores.len());
    }
    if let Some(path) = &args.affinity_out {
        let json = affinity::to_bundle_json(affinity, None);
        write_file(path, format!("{}\n", affinity::to_text(&json)).as_bytes())?;
        eprintln!("wrote {}", path.display());
        if fallback.cold.is_some() {
            let skus: Vec<&str> = fallback.popular.iter().take(FALLBACK_SKUS).map(|(s, _)| s.as_str()).collect();
            eprintln!(
                "popularity fallback (the best sellers, not co-purchases): give recommendation campaigns without one `fallback: [{}]`",
                skus.join(", ")
            );
        }
    }
    if let Some(path) = &args.bundle {
        splice_into_bundle(path, affinity, fallback)?;
        eprintln!("updated `affinity` in {}", path.display());
        signatures(path, args.key.as_deref())?;
    }
    if let Some(dir) = &args.tables_dir {
        write_tables(dir, history, scores, affinity, fallback)?;
        eprintln!(
            "wrote customer_scores.csv, popularity.csv, item_affinity.csv, category_affinity.csv in {}",
            dir.display()
        );
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
fn splice_into_bundle(path: &Path, affinity: &Affinity, fallback: &Fallback) -> Result<()> {
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
    if fallback.cold.is_some() {
        let known = |sku: &str| catalogue.as_ref().is_none_or(|c| c.contains(sku));
        let skus: Vec<String> =
            fallback.popular.iter().filter(|(s, _)| known(s)).take(FALLBACK_SKUS).map(|(s, _)| s.clone()).collect();
        let filled = fill_fallbacks(&mut bundle, &skus).map_err(|e| CliError::input(path, e))?;
        if !filled.is_empty() {
            eprintln!(
                "popularity fallback (the best sellers, not co-purchases) [{}] written into recommendation campaigns without one: {}",
                skus.join(", "),
                filled.join(", ")
            );
        }
    }
    write_file(path, bundle.to_json().as_bytes())
}

/// Sets `fallback` on recommendation actions that have none; returns their campaigns.
fn fill_fallbacks(bundle: &mut OrderedObject, skus: &[String]) -> Result<Vec<String>, String> {
    let Some(raw) = bundle.get("campaigns") else { return Ok(Vec::new()) };
    let mut campaigns: Vec<serde_json::Value> =
        serde_json::from_str(raw.get()).map_err(|e| format!("campaigns: {e}"))?;
    let mut filled = Vec::new();
    for campaign in &mut campaigns {
        let id = campaign.get("id").and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let Some(action) = campaign.get_mut("action").and_then(|a| a.as_object_mut()) else { continue };
        let empty = action.get("fallback").and_then(|f| f.as_array()).is_none_or(|f| f.is_empty());
        if action.get("kind").and_then(|k| k.as_str()) == Some("recommend") && empty && !skus.is_empty() {
            action.insert("fallback".into(), serde_json::json!(skus));
            filled.push(id);
        }
    }
    if !filled.is_empty() {
        bundle.set("campaigns", &campaigns)?;
    }
    Ok(filled)
}

/// A signature beside a rewritten bundle no longer matches it: re-signed with `key`,
/// else reported (hosts would refuse the bundle), with the stale compiled form.
fn signatures(path: &Path, key: Option<&Path>) -> Result<()> {
    let sig = crate::sign_cmd::sig_path(path);
    let bin = path.with_extension("bin");
    let Some(key) = key else {
        if sig.exists() {
            eprintln!(
                "warning: {} signs the bundle as it was before this change: every host refuses the new one; re-sign with --key KEY (or perso sign), or publish it with perso publish",
                sig.display()
            );
        }
        if bin.exists() {
            eprintln!(
                "warning: {} is the compiled form of the old bundle (what hosts load): pass --key KEY to rewrite it, or run perso publish",
                bin.display()
            );
        }
        return Ok(());
    };
    let key = crate::keys::PrivateKey::load(key)?;
    let bytes = crate::error::read_file(path)?;
    let engine = crate::load::load_bytes(path, &bytes)?;
    write_file(&sig, crate::sign_cmd::signature_json(&bytes, &key).as_bytes())?;
    let mut written = vec![sig.display().to_string()];
    if bin.exists() {
        let compiled = engine.to_compiled();
        write_file(&bin, &compiled)?;
        let bin_sig = crate::sign_cmd::sig_path(&bin);
        write_file(&bin_sig, crate::sign_cmd::signature_json(&compiled, &key).as_bytes())?;
        written.extend([bin.display().to_string(), bin_sig.display().to_string()]);
    }
    eprintln!("re-signed with kid {}: {}", key.kid, written.join(", "));
    Ok(())
}

/// `sku,orders,rank,source`: the popularity fallback, labelled as such.
fn write_popularity(path: &Path, popular: &[(String, u64)]) -> Result<()> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let error = |e: csv::Error| CliError::input(path, e.to_string());
    out.write_record(["sku", "orders", "rank", "source"]).map_err(error)?;
    for (rank, (sku, orders)) in popular.iter().enumerate() {
        out.write_record([sku.clone(), orders.to_string(), (rank + 1).to_string(), "popularity".into()])
            .map_err(error)?;
    }
    write_csv(path, out)
}

fn write_tables(
    dir: &Path,
    history: &History,
    scores: &[CustomerScore],
    affinity: &Affinity,
    fallback: &Fallback,
) -> Result<()> {
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
    write_popularity(&dir.join("popularity.csv"), &fallback.popular)?;
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
