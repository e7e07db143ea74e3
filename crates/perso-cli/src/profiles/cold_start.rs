//! A store with little history: too few orders, or baskets of one item, give an
//! item-affinity table with few rows or none, and cross-sell then has nothing to
//! show. Detected here and said, with what stands in until co-purchases show up:
//!
//! - for a cart line without an item row, the engine already adds half of the line's
//!   category scores (the category co-purchase table, which single-item baskets still
//!   fill: a category's best sellers);
//! - beyond that, a **popularity** fallback: the skus in the most orders, written into
//!   the `fallback` of recommendation campaigns that have none (`--bundle`), listed
//!   in `popularity.csv` (`--tables-dir`) and printed for authoring files — labelled
//!   as popularity, not co-purchase, everywhere it is shown.

use super::affinity::Affinity;
use super::history::History;

/// Fewer orders than this is a cold start, whatever the table holds.
pub const MIN_ORDERS: u64 = 200;
/// ... and so is an item table covering less than this share of the skus sold.
pub const MIN_COVERAGE: f64 = 0.5;

#[derive(Debug, Clone, PartialEq)]
pub struct ColdStart {
    pub orders: u64,
    pub skus: usize,
    pub skus_with_rows: usize,
    pub mean_basket: f64,
}

impl ColdStart {
    pub fn describe(&self) -> String {
        format!(
            "cold start: {} orders, {:.2} items per basket, {} of {} skus have co-purchase rows; cross-sell falls back to the category table (a category's best sellers) and to popularity (the skus in the most orders), labelled as such",
            self.orders, self.mean_basket, self.skus_with_rows, self.skus
        )
    }
}

/// Popularity (skus by the number of orders holding them, most first, ties by sku)
/// and the cold start of this history, if it is one.
pub fn survey(history: &mut History, affinity: &Affinity) -> (Vec<(String, u64)>, Option<ColdStart>) {
    let mut counts = vec![0u64; history.skus.names.len()];
    let mut baskets = history.baskets();
    while let Some(basket) = baskets.next_basket() {
        for &sku in basket.skus {
            if let Some(c) = counts.get_mut(sku as usize) {
                *c += 1;
            }
        }
    }
    let distinct_lines: u64 = counts.iter().sum();
    let mut ranked: Vec<(String, u64)> = history.skus.names.iter().cloned().zip(counts).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let orders = affinity.orders;
    let skus = history.skus.names.len();
    let skus_with_rows = affinity.items.iter().filter(|(_, related)| !related.is_empty()).count();
    let mean_basket = if orders == 0 { 0.0 } else { distinct_lines as f64 / orders as f64 };
    let coverage = if skus == 0 { 0.0 } else { skus_with_rows as f64 / skus as f64 };
    let cold = (orders < MIN_ORDERS || coverage < MIN_COVERAGE).then_some(ColdStart {
        orders,
        skus,
        skus_with_rows,
        mean_basket,
    });
    (ranked, cold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::orders::OrderLine;

    #[test]
    fn single_item_baskets_are_a_cold_start_and_popularity_ranks_by_orders() {
        let mut history = History::default();
        for (i, sku) in ["A", "B", "A", "C", "A", "B"].iter().enumerate() {
            let line = OrderLine {
                customer_id: format!("C{i}"),
                order_id: format!("O{i}"),
                day: 0,
                sku: (*sku).into(),
                category: "x".into(),
                quantity: 1,
                value_cents: 100,
            };
            history.add(&line, 2).unwrap();
        }
        let affinity = super::super::affinity::compute(
            &mut history,
            super::super::affinity::AffinityRules { min_support: 0.0, top_k: 5 },
        );
        let (popular, cold) = survey(&mut history, &affinity);
        let cold = cold.unwrap();
        assert_eq!((cold.orders, cold.skus, cold.skus_with_rows), (6, 3, 0));
        assert!((cold.mean_basket - 1.0).abs() < 1e-9);
        assert_eq!(popular, [("A".into(), 3), ("B".into(), 2), ("C".into(), 1)]);
    }
}
