//! Cross-sell affinity from co-purchases. The rules (the SQL does the same):
//!
//! - A **basket** is one order's distinct skus (quantities do not matter) and the
//!   distinct categories of its lines. `N` = orders.
//! - For skus `a ≠ b`: `pair(a,b)` = baskets holding both; `count(x)` = baskets holding x.
//!   `support = pair / N`, `confidence(a→b) = pair / count(a)`,
//!   `lift = pair × N / (count(a) × count(b))`.
//! - For a category `c` and a sku `s`: `pair(c,s)` = baskets holding a line of category
//!   `c` and sku `s` (s may itself be of category `c`: for a shopper interested in `c`
//!   the category's best sellers are the right picks), `count(c)` = baskets holding `c`;
//!   confidence and lift as above with `count(c)` in place of `count(a)`.
//! - Kept: `pair ≥ max(1, ⌈min_support × N⌉)` and a positive association,
//!   `pair × N > count(a) × count(b)` (lift > 1, in integers).
//! - Ranked per item (per category) by `pair` descending, then `count(b)` ascending
//!   (for equal confidence, the higher lift), then sku ascending; the first `top_k` kept.
//!   Integer keys only, so Rust and SQL rank identically.
//! - The bundle's score is the confidence, rounded to 4 decimals.

use super::history::History;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy)]
pub struct AffinityRules {
    pub min_support: f64,
    pub top_k: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub sku: String,
    pub pair_orders: u64,
    pub support: f64,
    pub confidence: f64,
    pub lift: f64,
}

#[derive(Debug, Default)]
pub struct Affinity {
    /// sku -> related skus, best first.
    pub items: Vec<(String, Vec<Related>)>,
    /// category -> skus, best first.
    pub categories: Vec<(String, Vec<Related>)>,
    pub orders: u64,
    pub min_pair_orders: u64,
}

/// The smallest pair count kept: `max(1, ⌈min_support × N⌉)`.
pub fn min_pair_orders(min_support: f64, orders: u64) -> u64 {
    ((min_support * orders as f64).ceil() as u64).max(1)
}

pub fn compute(history: &mut History, rules: AffinityRules) -> Affinity {
    let orders = history.order_count();
    let sku_count = history.skus.names.len();
    let mut count = vec![0u64; sku_count];
    let mut category_count = vec![0u64; history.categories.names.len()];
    let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
    let mut category_pairs: HashMap<(u32, u32), u64> = HashMap::new();
    let mut baskets = history.baskets();
    while let Some(basket) = baskets.next_basket() {
        for &a in basket.skus {
            count[a as usize] += 1;
            for &b in basket.skus.iter().filter(|b| **b != a) {
                *pairs.entry((a, b)).or_default() += 1;
            }
        }
        for &c in basket.categories {
            category_count[c as usize] += 1;
            for &s in basket.skus {
                *category_pairs.entry((c, s)).or_default() += 1;
            }
        }
    }
    let floor = min_pair_orders(rules.min_support, orders);
    let items = rank(&pairs, &count, &count, &history.skus.names, &history.skus.names, orders, floor, rules.top_k);
    let categories = rank(
        &category_pairs,
        &category_count,
        &count,
        &history.categories.names,
        &history.skus.names,
        orders,
        floor,
        rules.top_k,
    );
    Affinity { items, categories, orders, min_pair_orders: floor }
}

#[allow(clippy::too_many_arguments)]
fn rank(
    pairs: &HashMap<(u32, u32), u64>,
    base_count: &[u64],
    sku_count: &[u64],
    base_names: &[String],
    sku_names: &[String],
    orders: u64,
    floor: u64,
    top_k: usize,
) -> Vec<(String, Vec<Related>)> {
    let mut grouped: HashMap<u32, Vec<(u32, u64)>> = HashMap::new();
    for (&(base, sku), &pair) in pairs {
        let positive = u128::from(pair) * u128::from(orders)
            > u128::from(base_count[base as usize]) * u128::from(sku_count[sku as usize]);
        if pair >= floor && positive {
            grouped.entry(base).or_default().push((sku, pair));
        }
    }
    let mut out: Vec<(String, Vec<Related>)> = grouped
        .into_iter()
        .map(|(base, mut related)| {
            related.sort_by(|(a, pa), (b, pb)| {
                pb.cmp(pa)
                    .then(sku_count[*a as usize].cmp(&sku_count[*b as usize]))
                    .then(sku_names[*a as usize].cmp(&sku_names[*b as usize]))
            });
            related.truncate(top_k);
            let base_n = base_count[base as usize] as f64;
            let related = related
                .into_iter()
                .map(|(sku, pair)| Related {
                    sku: sku_names[sku as usize].clone(),
                    pair_orders: pair,
                    support: pair as f64 / orders as f64,
                    confidence: pair as f64 / base_n,
                    lift: (pair as f64 * orders as f64) / (base_n * sku_count[sku as usize] as f64),
                })
                .collect();
            (base_names[base as usize].clone(), related)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The bundle's `affinity` object: `{"items": {sku: [[sku, score]]}, "categories": {...}}`.
/// With a catalogue, skus missing from it are left out (the engine would skip them).
pub fn to_bundle_json(
    affinity: &Affinity,
    catalogue: Option<&std::collections::BTreeSet<String>>,
) -> serde_json::Value {
    let known = |sku: &str| catalogue.is_none_or(|c| c.contains(sku));
    let table = |rows: &[(String, Vec<Related>)], base_is_sku: bool| {
        let mut map = serde_json::Map::new();
        for (base, related) in rows {
            if base_is_sku && !known(base) {
                continue;
            }
            let list: Vec<serde_json::Value> = related
                .iter()
                .filter(|r| known(&r.sku))
                .map(|r| serde_json::json!([r.sku, (r.confidence * 10_000.0).round() / 10_000.0]))
                .collect();
            if !list.is_empty() {
                map.insert(base.clone(), serde_json::Value::Array(list));
            }
        }
        serde_json::Value::Object(map)
    };
    serde_json::json!({ "items": table(&affinity.items, true), "categories": table(&affinity.categories, false) })
}

/// The affinity object as text, one line per sku or category (`"HP-100": [["CS-020", 0.62], ...]`),
/// so a table stays readable and diffs well.
pub fn to_text(table: &serde_json::Value) -> String {
    let section = |name: &str| {
        let rows: Vec<String> = table
            .get(name)
            .and_then(|v| v.as_object())
            .into_iter()
            .flatten()
            .map(|(key, list)| {
                format!(
                    "    {}: {}",
                    serde_json::Value::String(key.clone()),
                    serde_json::to_string(list).unwrap_or_default()
                )
            })
            .collect();
        if rows.is_empty() {
            format!("  \"{name}\": {{}}")
        } else {
            format!("  \"{name}\": {{\n{}\n  }}", rows.join(",\n"))
        }
    };
    format!("{{\n{},\n{}\n}}", section("items"), section("categories"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::orders::OrderLine;

    fn history(baskets: &[&[(&str, &str)]]) -> History {
        let mut history = History::default();
        for (i, basket) in baskets.iter().enumerate() {
            for (sku, category) in basket.iter() {
                let line = OrderLine {
                    customer_id: format!("C{i}"),
                    order_id: format!("O{i}"),
                    day: 0,
                    sku: (*sku).into(),
                    category: (*category).into(),
                    quantity: 1,
                    value_cents: 100,
                };
                history.add(&line, 2).unwrap();
            }
        }
        history
    }

    /// Five orders, computed by hand:
    /// O0 {A,B}, O1 {A,B,C}, O2 {A,C}, O3 {B}, O4 {D}. N = 5.
    /// count: A 3, B 3, C 2, D 1. pair(A,B) 2, pair(A,C) 2, pair(B,C) 1.
    /// conf(A→B) = 2/3, lift = 2·5/(3·3) = 10/9 > 1 kept.
    /// conf(A→C) = 2/3, lift = 2·5/(3·2) = 5/3: same pair count, C is rarer, so C ranks first.
    /// conf(B→C) = 1/3, lift = 1·5/(3·2) = 5/6 ≤ 1 dropped. conf(C→A) = 1, lift 5/3.
    /// conf(C→B) = 1/2, lift = 5/6 dropped. conf(B→A) = 2/3, lift 10/9.
    #[test]
    fn hand_computed_items() {
        let x = "x";
        let mut h = history(&[
            &[("A", x), ("B", x)],
            &[("A", x), ("B", x), ("C", x)],
            &[("A", x), ("C", x)],
            &[("B", x)],
            &[("D", "y")],
        ]);
        let a = compute(&mut h, AffinityRules { min_support: 0.0, top_k: 5 });
        assert_eq!(a.orders, 5);
        let items: HashMap<&str, &Vec<Related>> = a.items.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let a_rel: Vec<(&str, u64)> = items["A"].iter().map(|r| (r.sku.as_str(), r.pair_orders)).collect();
        assert_eq!(a_rel, [("C", 2), ("B", 2)]);
        assert!((items["A"][0].confidence - 2.0 / 3.0).abs() < 1e-12);
        assert!((items["A"][0].lift - 5.0 / 3.0).abs() < 1e-12);
        assert!((items["A"][1].lift - 10.0 / 9.0).abs() < 1e-12);
        assert!((items["A"][1].support - 0.4).abs() < 1e-12);
        let b_rel: Vec<&str> = items["B"].iter().map(|r| r.sku.as_str()).collect();
        assert_eq!(b_rel, ["A"]);
        let c_rel: Vec<&str> = items["C"].iter().map(|r| r.sku.as_str()).collect();
        assert_eq!(c_rel, ["A"]);
        assert!((items["C"][0].confidence - 1.0).abs() < 1e-12);
        assert!(!items.contains_key("D"));
        // Category x is in 4 baskets: pair(x,A) 3 → lift 3·5/(4·3) = 5/4; pair(x,B) 3 → 5/4;
        // pair(x,C) 2 → 2·5/(4·2) = 5/4. Ranked by pair, then rarer sku: A, B (count 3, A < B), C.
        let cats: HashMap<&str, &Vec<Related>> = a.categories.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let x_rel: Vec<&str> = cats["x"].iter().map(|r| r.sku.as_str()).collect();
        assert_eq!(x_rel, ["A", "B", "C"]);
        assert!((cats["x"][0].confidence - 0.75).abs() < 1e-12);
        // y is in 1 basket with D: lift = 1·5/(1·1) = 5.
        assert_eq!(cats["y"][0].sku, "D");
    }

    #[test]
    fn min_support_and_top_k() {
        let x = "x";
        let mut h = history(&[
            &[("A", x), ("B", x)],
            &[("A", x), ("B", x), ("C", x)],
            &[("A", x), ("C", x)],
            &[("B", x)],
            &[("D", "y")],
        ]);
        // ⌈0.3 × 5⌉ = 2 pairs needed.
        let a = compute(&mut h, AffinityRules { min_support: 0.3, top_k: 1 });
        assert_eq!(a.min_pair_orders, 2);
        let items: HashMap<&str, &Vec<Related>> = a.items.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(items["A"].len(), 1);
        assert_eq!(items["A"][0].sku, "C");
        assert_eq!(items["C"][0].sku, "A");
        let json = to_bundle_json(&a, None);
        assert_eq!(json["items"]["A"], serde_json::json!([["C", 0.6667]]));
        assert!(json["categories"].get("y").is_none(), "pair(y,D) = 1 is under the support floor");
    }
}
