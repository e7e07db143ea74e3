//! Per-customer recency / frequency / monetary scores (quintiles) and lifetime-value
//! bands. The rules (docs/profiles-sql.md says the same, and the SQL does the same):
//!
//! - `recency_days = as_of - last order date`; `frequency` = distinct orders;
//!   `monetary_cents` = Σ `round(price × 100) × quantity`.
//! - **Quintile with ties**: a customer's score is `1 + ⌊5 × w / N⌋`, where `N` is the
//!   number of customers and `w` the number of customers strictly *worse* on that
//!   measure (longer recency; fewer orders; less spend). In SQL that is
//!   `RANK() OVER (ORDER BY <worst first>) - 1`. Equal values always get equal scores
//!   (so with many one-order customers the F scores bunch at 1), the best customer
//!   gets 5 once N ≥ 5, and no customer id or file order can change a score.
//! - `score = r + f + m` (3..15).
//! - **LTV band** from spend, with `g` = customers who spent strictly more:
//!   `top` if `20 g < N` (top 5 %), `high` if `5 g < N` (top 20 %), `medium` if
//!   `2 g < N` (top 50 %), else `low`. Integer arithmetic only, so Rust and SQL agree exactly.

use super::history::CustomerTotals;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rfm {
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub score: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerScore {
    pub recency_days: i64,
    pub frequency: u32,
    pub monetary_cents: i64,
    pub rfm: Rfm,
    pub ltv_band: &'static str,
}

/// `1 + ⌊5 w / n⌋` for `w` customers strictly worse out of `n`.
pub fn quintile(worse: usize, n: usize) -> u8 {
    (1 + (5 * worse) / n.max(1)) as u8
}

pub fn ltv_band(spent_more: usize, n: usize) -> &'static str {
    if 20 * spent_more < n {
        "top"
    } else if 5 * spent_more < n {
        "high"
    } else if 2 * spent_more < n {
        "medium"
    } else {
        "low"
    }
}

/// Scores every customer, in the order of `totals`.
pub fn score(totals: &[CustomerTotals], as_of_day: i64) -> Vec<CustomerScore> {
    let n = totals.len();
    let mut recency: Vec<i64> = totals.iter().map(|t| as_of_day - t.last_day).collect();
    let mut frequency: Vec<u32> = totals.iter().map(|t| t.orders).collect();
    let mut monetary: Vec<i64> = totals.iter().map(|t| t.monetary_cents).collect();
    recency.sort_unstable();
    frequency.sort_unstable();
    monetary.sort_unstable();
    totals
        .iter()
        .map(|t| {
            let days = as_of_day - t.last_day;
            // Worse recency = more days since the last order.
            let r = quintile(n - recency.partition_point(|d| *d <= days), n);
            let f = quintile(frequency.partition_point(|x| *x < t.orders), n);
            let m = quintile(monetary.partition_point(|x| *x < t.monetary_cents), n);
            let spent_more = n - monetary.partition_point(|x| *x <= t.monetary_cents);
            CustomerScore {
                recency_days: days,
                frequency: t.orders,
                monetary_cents: t.monetary_cents,
                rfm: Rfm { r, f, m, score: r + f + m },
                ltv_band: ltv_band(spent_more, n),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(last_day: i64, orders: u32, monetary_cents: i64) -> CustomerTotals {
        CustomerTotals { last_day, orders, monetary_cents }
    }

    #[test]
    fn ten_distinct_customers_fill_quintiles_two_by_two() {
        let t: Vec<_> = (0..10).map(|i| totals(i, i as u32 + 1, 100 * (i + 1))).collect();
        let s = score(&t, 10);
        let r: Vec<u8> = s.iter().map(|c| c.rfm.r).collect();
        assert_eq!(r, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let f: Vec<u8> = s.iter().map(|c| c.rfm.f).collect();
        assert_eq!(f, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(s[9].rfm.score, 15);
        assert_eq!(s[0].rfm.score, 3);
        let bands: Vec<&str> = s.iter().map(|c| c.ltv_band).collect();
        // g = 9..0 customers spent more: top needs 20g < 10 (g = 0), high 5g < 10 (g <= 1), medium 2g < 10 (g <= 4).
        assert_eq!(bands, ["low", "low", "low", "low", "low", "medium", "medium", "medium", "high", "top"]);
    }

    #[test]
    fn ties_share_a_score() {
        // Six customers with one order, four with two: w = 0 for the first six, 6 for the rest.
        let t: Vec<_> = (0..10).map(|i| totals(0, if i < 6 { 1 } else { 2 }, 100)).collect();
        let s = score(&t, 1);
        assert!(s[..6].iter().all(|c| c.rfm.f == 1));
        assert!(s[6..].iter().all(|c| c.rfm.f == 4)); // 1 + 5*6/10
        assert!(s.iter().all(|c| c.rfm.r == 1 && c.rfm.m == 1 && c.ltv_band == "top"));
    }
}
