//! The streaming half of the report: events go in one at a time and only per-visitor
//! state is kept; [`Collector::finish`] attributes orders and sums each arm.
//!
//! Rules (the SQL in `sql.rs` applies the same):
//! - a visitor's **first exposure** to a campaign (smallest timestamp) starts their
//!   attribution; a visitor exposed to **more than one variant** of a campaign is left
//!   out of that campaign and counted;
//! - an **order** is an order id: its rows are merged (earliest timestamp, highest
//!   revenue, smallest visitor id), so GA4's duplicated `purchase` events count once;
//!   a purchase without a transaction id is its own order, named `visitor@timestamp`;
//! - an order **counts** for a visitor's campaign when it comes strictly after the first
//!   exposure and, with a window of `w` days, at most `w × 86,400,000,000` µs after it;
//! - revenue is summed in whole cents, `round(revenue × 100)` (halves away from zero);
//! - `view_promotion` exposures count only for campaigns with no `experiment_viewed` at all.
//!
//! Memory: per distinct visitor its id bytes + ~13 bytes (interner); per (visitor,
//! campaign) exposure ~25 bytes (a 16-byte record and its u64 key in a hash table); per
//! distinct order its id bytes + ~13 bytes and a 24-byte record. Nothing per row.

use super::event::{Event, ExposureKind, ReadError, SHOWN};
use super::intern::Interner;
use hashbrown::HashMap;

#[derive(Debug, Clone, Copy)]
struct First {
    ts_us: i64,
    variant: u32,
    mixed: bool,
}

#[derive(Debug, Clone, Copy)]
struct OrderRow {
    visitor: u32,
    ts_us: i64,
    cents: i64,
}

/// What was read, for the summary and the report's `input` block.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub events: u64,
    pub exposure_events: u64,
    pub order_events: u64,
    pub other_events: u64,
    /// Exposures of campaigns outside `--campaign` / the bundle.
    pub ignored_exposure_events: u64,
    /// Order events merged into an earlier event with the same order id.
    pub duplicate_order_events: u64,
    pub skipped_rows: u64,
}

#[derive(Default)]
pub struct Collector {
    visitors: Interner,
    campaigns: Interner,
    variants: Interner,
    order_ids: Interner,
    exposures: HashMap<u64, First>,
    promotions: HashMap<u64, i64>,
    orders: Vec<OrderRow>,
    only: Option<Vec<String>>,
    pub counts: Counts,
}

/// One arm's sums over its visitors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArmSums {
    pub variant: String,
    pub visitors: u64,
    pub conversions: u64,
    pub revenue_cents: i64,
    /// Σ (cents per visitor)², as a double (what SQL's `SUM` of a DOUBLE gives, to rounding).
    pub revenue_cents_squared: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSums {
    pub campaign: String,
    pub kind: ExposureKind,
    /// First and last first-exposure timestamps (all the campaign's visitors).
    pub first_us: i64,
    pub last_us: i64,
    /// Visitors left out for seeing more than one variant.
    pub excluded_visitors: u64,
    /// Sorted by variant id.
    pub arms: Vec<ArmSums>,
}

const fn key(campaign: u32, visitor: u32) -> u64 {
    ((campaign as u64) << 32) | visitor as u64
}

/// `round(revenue × 100)` in whole cents, halves away from zero (SQL's `ROUND`).
pub fn cents(revenue: f64) -> i64 {
    (revenue * 100.0).round() as i64
}

impl Collector {
    /// `only`: keep only these campaigns (`None`: all).
    pub fn new(only: Option<Vec<String>>) -> Collector {
        Collector { only, ..Collector::default() }
    }

    pub fn add(&mut self, event: Event<'_>, line: u64) -> Result<(), ReadError> {
        let too_many = |e: super::intern::TooManyIds| ReadError::Row { line, message: e.to_string() };
        self.counts.events += 1;
        match event {
            Event::Other => self.counts.other_events += 1,
            Event::Exposure { visitor, ts_us, campaign, variant, kind } => {
                if self.only.as_ref().is_some_and(|only| !only.iter().any(|c| *c == campaign)) {
                    self.counts.ignored_exposure_events += 1;
                    return Ok(());
                }
                self.counts.exposure_events += 1;
                let visitor = self.visitors.intern(&visitor).map_err(too_many)?;
                let campaign = self.campaigns.intern(&campaign).map_err(too_many)?;
                match kind {
                    ExposureKind::Experiment => {
                        let variant = self.variants.intern(&variant).map_err(too_many)?;
                        self.exposures
                            .entry(key(campaign, visitor))
                            .and_modify(|first| {
                                first.mixed |= first.variant != variant;
                                first.ts_us = first.ts_us.min(ts_us);
                            })
                            .or_insert(First { ts_us, variant, mixed: false });
                    }
                    ExposureKind::Promotion => {
                        let first = self.promotions.entry(key(campaign, visitor)).or_insert(ts_us);
                        *first = (*first).min(ts_us);
                    }
                }
            }
            Event::Order { visitor, ts_us, order_id, revenue } => {
                self.counts.order_events += 1;
                let visitor_id = self.visitors.intern(&visitor).map_err(too_many)?;
                let id = match order_id {
                    Some(id) => self.order_ids.intern(&id),
                    None => self.order_ids.intern(&format!("{visitor}@{ts_us}")),
                }
                .map_err(too_many)?;
                let row = OrderRow { visitor: visitor_id, ts_us, cents: cents(revenue) };
                match self.orders.get_mut(id as usize) {
                    None => self.orders.push(row),
                    Some(known) => {
                        self.counts.duplicate_order_events += 1;
                        known.ts_us = known.ts_us.min(ts_us);
                        known.cents = known.cents.max(row.cents);
                        if self.visitors.get(visitor_id) < self.visitors.get(known.visitor) {
                            known.visitor = visitor_id;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub fn visitors(&self) -> usize {
        self.visitors.len()
    }

    pub fn orders(&self) -> usize {
        self.orders.len()
    }

    /// Bytes held now, an estimate from capacities (for the summary line).
    pub fn heap_bytes(&self) -> usize {
        self.visitors.heap_bytes()
            + self.campaigns.heap_bytes()
            + self.variants.heap_bytes()
            + self.order_ids.heap_bytes()
            + self.exposures.capacity() * 25
            + self.promotions.capacity() * 17
            + self.orders.capacity() * std::mem::size_of::<OrderRow>()
    }

    /// Attribution and per-arm sums; `window_us`: the attribution window, if any.
    pub fn finish(mut self, window_us: Option<i64>) -> Vec<CampaignSums> {
        let campaign_count = self.campaigns.len();
        let mut has_experiment = vec![false; campaign_count];
        for k in self.exposures.keys() {
            has_experiment[(k >> 32) as usize] = true;
        }
        let shown = self.variants.intern(SHOWN).unwrap_or(0);
        let mut excluded = vec![0u64; campaign_count];
        let mut span = vec![(i64::MAX, i64::MIN); campaign_count];
        // (visitor, campaign, variant, first exposure)
        let mut entries: Vec<(u32, u32, u32, i64)> = Vec::with_capacity(self.exposures.len());
        for (k, first) in self.exposures.drain() {
            let (campaign, visitor) = ((k >> 32) as u32, k as u32);
            let s = &mut span[campaign as usize];
            *s = (s.0.min(first.ts_us), s.1.max(first.ts_us));
            if first.mixed {
                excluded[campaign as usize] += 1;
            } else {
                entries.push((visitor, campaign, first.variant, first.ts_us));
            }
        }
        for (k, ts_us) in self.promotions.drain() {
            let (campaign, visitor) = ((k >> 32) as u32, k as u32);
            if !has_experiment[campaign as usize] {
                let s = &mut span[campaign as usize];
                *s = (s.0.min(ts_us), s.1.max(ts_us));
                entries.push((visitor, campaign, shown, ts_us));
            }
        }
        entries.sort_unstable();
        let mut orders = std::mem::take(&mut self.orders);
        orders.sort_unstable_by_key(|o| (o.visitor, o.ts_us));

        let mut sums: HashMap<(u32, u32), ArmSums> = HashMap::new();
        let mut next_order = 0usize;
        let mut start = 0usize;
        while start < entries.len() {
            let visitor = entries[start].0;
            let end = start + entries[start..].iter().take_while(|e| e.0 == visitor).count();
            while next_order < orders.len() && orders[next_order].visitor < visitor {
                next_order += 1;
            }
            let first_order = next_order;
            while next_order < orders.len() && orders[next_order].visitor == visitor {
                next_order += 1;
            }
            let theirs = &orders[first_order..next_order];
            for &(_, campaign, variant, first_us) in &entries[start..end] {
                let mut cents = 0i64;
                let mut converted = false;
                for order in theirs {
                    let in_window = window_us.is_none_or(|w| order.ts_us <= first_us.saturating_add(w));
                    if order.ts_us > first_us && in_window {
                        converted = true;
                        cents += order.cents;
                    }
                }
                let arm = sums.entry((campaign, variant)).or_default();
                arm.visitors += 1;
                arm.conversions += u64::from(converted);
                arm.revenue_cents += cents;
                arm.revenue_cents_squared += (cents as f64) * (cents as f64);
            }
            start = end;
        }

        let mut campaigns: Vec<CampaignSums> = (0..campaign_count as u32)
            .filter(|&c| span[c as usize].0 != i64::MAX)
            .map(|c| CampaignSums {
                campaign: self.campaigns.get(c).to_owned(),
                kind: if has_experiment[c as usize] { ExposureKind::Experiment } else { ExposureKind::Promotion },
                first_us: span[c as usize].0,
                last_us: span[c as usize].1,
                excluded_visitors: excluded[c as usize],
                arms: Vec::new(),
            })
            .collect();
        let index: HashMap<String, usize> =
            campaigns.iter().enumerate().map(|(i, c)| (c.campaign.clone(), i)).collect();
        for ((campaign, variant), mut arm) in sums {
            arm.variant = self.variants.get(variant).to_owned();
            if let Some(&i) = index.get(self.campaigns.get(campaign)) {
                campaigns[i].arms.push(arm);
            }
        }
        for campaign in &mut campaigns {
            campaign.arms.sort_by(|a, b| a.variant.cmp(&b.variant));
        }
        campaigns.sort_by(|a, b| a.campaign.cmp(&b.campaign));
        campaigns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn exposure(visitor: &str, ts_us: i64, campaign: &str, variant: &str) -> Event<'static> {
        Event::Exposure {
            visitor: Cow::Owned(visitor.into()),
            ts_us,
            campaign: Cow::Owned(campaign.into()),
            variant: Cow::Owned(variant.into()),
            kind: ExposureKind::Experiment,
        }
    }

    fn order(visitor: &str, ts_us: i64, id: &str, revenue: f64) -> Event<'static> {
        Event::Order { visitor: Cow::Owned(visitor.into()), ts_us, order_id: Some(Cow::Owned(id.into())), revenue }
    }

    #[test]
    fn attribution_rules() {
        let mut c = Collector::new(None);
        let events = [
            order("v1", 5, "O0", 99.0), // before v1's first exposure: not counted
            exposure("v1", 20, "c", "a"),
            exposure("v1", 10, "c", "a"), // earlier exposure, read later: first is 10
            order("v1", 15, "O1", 10.0),
            order("v1", 16, "O1", 10.004), // duplicate order id: merged
            exposure("v2", 10, "c", "holdout"),
            order("v2", 10, "O2", 5.0), // same instant as the exposure: not after it
            exposure("v3", 10, "c", "a"),
            exposure("v3", 11, "c", "holdout"), // two variants: excluded
            order("v3", 12, "O3", 1.0),
            order("v4", 12, "O4", 1.0), // never exposed
        ];
        for (line, e) in events.into_iter().enumerate() {
            c.add(e, line as u64).unwrap();
        }
        assert_eq!(c.counts.duplicate_order_events, 1);
        let sums = c.finish(None);
        assert_eq!(sums.len(), 1);
        let campaign = &sums[0];
        assert_eq!((campaign.first_us, campaign.last_us, campaign.excluded_visitors), (10, 10, 1));
        assert_eq!(
            campaign.arms,
            vec![
                ArmSums {
                    variant: "a".into(),
                    visitors: 1,
                    conversions: 1,
                    revenue_cents: 1000,
                    revenue_cents_squared: 1e6
                },
                ArmSums {
                    variant: "holdout".into(),
                    visitors: 1,
                    conversions: 0,
                    revenue_cents: 0,
                    revenue_cents_squared: 0.0
                },
            ]
        );
    }

    #[test]
    fn window_and_promotions() {
        let mut c = Collector::new(None);
        c.add(exposure("v1", 0, "c", "a"), 1).unwrap();
        c.add(order("v1", 86_400_000_001, "late", 3.0), 2).unwrap();
        let promo = |v: &str, campaign: &str| Event::Exposure {
            visitor: Cow::Owned(v.into()),
            ts_us: 0,
            campaign: Cow::Owned(campaign.into()),
            variant: Cow::Borrowed(SHOWN),
            kind: ExposureKind::Promotion,
        };
        c.add(promo("v1", "c"), 3).unwrap(); // c has experiment exposures: promotion ignored
        c.add(promo("v1", "banner"), 4).unwrap();
        let sums = c.finish(Some(86_400_000_000));
        assert_eq!(sums[0].campaign, "banner");
        assert_eq!(sums[0].kind, ExposureKind::Promotion);
        assert_eq!(sums[0].arms[0].variant, SHOWN);
        assert_eq!(sums[0].arms[0].conversions, 0); // the order is outside the 1-day window of... banner's too
        assert_eq!(sums[1].arms.len(), 1);
        assert_eq!(sums[1].arms[0].conversions, 0);
    }
}
