//! The benchmark workload from the engine issue, generated from a seed: N campaigns
//! over 3 placements with random priorities, each condition an `and` of 2-4 clauses
//! (referrer host in a list, UTM source equals, cart total above, cart has an item of
//! a category, time on site at least, LTV band in a list, hour of day between), a
//! third of them with an `or`; contexts with 0-6 cart lines. Distributions are tuned
//! so about 7% of single rule evaluations match (measured and printed by
//! `examples/gen_workload.rs`). Shared by the criterion benches and, through the JSON
//! the example writes, by the Node harness (bench/node/decide.mjs).

use serde_json::{json, Value};

/// splitmix64: tiny, seeded, the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// Uniform in (0, 1].
    pub fn unit(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub const HOSTS: [&str; 12] = [
    "gadgets.com",
    "techradar.com",
    "reddit.com",
    "google.com",
    "bing.com",
    "facebook.com",
    "instagram.com",
    "wirecutter.com",
    "youtube.com",
    "deals.net",
    "newsletter.shop",
    "pinterest.com",
];
pub const SOURCES: [&str; 8] = ["newsletter", "facebook", "google", "tiktok", "affiliate", "partner", "sms", "display"];
pub const CATEGORIES: [&str; 8] =
    ["audio", "phones", "wearables", "smart-home", "accessories", "cameras", "gaming", "laptops"];
pub const BANDS: [&str; 5] = ["low", "medium", "high", "top", "new"];
pub const PLACEMENTS: [&str; 3] = ["hero", "popup", "cross_sell"];

fn clause(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => {
            let mut hosts: Vec<&str> = Vec::new();
            while hosts.len() < 3 + rng.below(3) {
                let h = *rng.pick(&HOSTS);
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
            json!({"in": [{"var": "page.referrer_host"}, hosts]})
        }
        1 => json!({"==": [{"var": "page.utm.source"}, rng.pick(&SOURCES)]}),
        2 => json!({">": [{"var": "cart.total"}, rng.pick(&[0, 50, 100, 150, 250])]}),
        3 => json!({"some": [{"var": "cart.items"}, {"==": [{"var": "category"}, rng.pick(&CATEGORIES)]}]}),
        4 => json!({">=": [{"var": "session.time_on_site_s"}, rng.pick(&[15, 30, 60, 120, 300])]}),
        5 => {
            let a = rng.below(5);
            let b = (a + 1 + rng.below(4)) % 5;
            json!({"in": [{"var": "customer.ltv_band"}, [BANDS[a], BANDS[b]]]})
        }
        _ => {
            let from = rng.below(20);
            json!({"<=": [from, {"var": "time.hour"}, from + 4 + rng.below(8)]})
        }
    }
}

fn condition(rng: &mut Rng) -> Value {
    let mut clauses: Vec<Value> = (0..2 + rng.below(3)).map(|_| clause(rng)).collect();
    if rng.below(3) == 0 {
        clauses[0] = json!({"or": [clause(rng), clause(rng)]});
    }
    json!({"and": clauses})
}

/// A bundle of `campaigns` campaigns (JSON text).
pub fn bundle(campaigns: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let list: Vec<Value> = (0..campaigns)
        .map(|i| {
            let placement = PLACEMENTS[i % 3];
            let action = if placement == "popup" {
                json!({"kind": "offer", "title": format!("Offer {i}"), "code": format!("CODE{i}")})
            } else {
                json!({"kind": "banner", "title": format!("Banner {i}"), "body": "Shop now"})
            };
            json!({"id": format!("c{i}"), "placement": placement, "priority": rng.below(1000),
                   "condition": condition(&mut rng), "action": action})
        })
        .collect();
    json!({
        "version": 1, "serial": 1, "expires_at": "2030-01-01T00:00:00Z",
        "placements": PLACEMENTS.iter().map(|p| json!({"id": p})).collect::<Vec<_>>(),
        "guardrails": {"max_interruptions_per_session": 1000, "min_gap_between_interruptions_s": 0},
        "campaigns": list,
    })
    .to_string()
}

/// A realistic host context (JSON value) and the time on site it implies. The cart
/// carries its total and count, as a store's page reports them.
pub fn context(rng: &mut Rng) -> (Value, u64) {
    let lines = rng.below(7);
    let items: Vec<Value> = (0..lines)
        .map(|i| {
            let price = [9.0, 19.0, 29.0, 49.0, 99.0, 199.0][rng.below(6)];
            json!({"sku": format!("SKU-{}", rng.below(500)), "category": rng.pick(&CATEGORIES), "price": price, "qty": 1 + (i % 2)})
        })
        .collect();
    let total: f64 = items.iter().map(|i| i["price"].as_f64().unwrap_or(0.0) * i["qty"].as_f64().unwrap_or(1.0)).sum();
    let count: u64 = items.iter().map(|i| i["qty"].as_u64().unwrap_or(1)).sum();
    let mut page = json!({"url": "https://shop.test/p", "path": "/p", "type": "product"});
    if rng.chance(0.8) {
        page["referrer_host"] = json!(rng.pick(&HOSTS));
    }
    if rng.chance(0.6) {
        page["utm"] = json!({"source": rng.pick(&SOURCES), "medium": "email"});
    }
    let mut context = json!({"page": page, "cart": {"items": items, "total": total, "count": count},
                             "device": {"type": "desktop", "language": "en-US"},
                             "time": {"hour": rng.below(24), "weekday": 1 + rng.below(7)}, "consent": {"personalization": true}});
    if rng.chance(0.5) {
        context["customer"] = json!({"known": true, "first_name": "Alex", "ltv_band": rng.pick(&BANDS)});
    }
    // Time on site: most sessions are short (exponential, mean 90 s, capped at 30 min).
    let time_on_site = (-rng.unit().ln() * 90.0).min(1800.0) as u64;
    (context, time_on_site)
}

/// The decision time of every context: 2026-11-25T10:00:00Z.
pub const NOW_MS: i64 = 1_795_600_800_000;

/// `count` contexts with their visitor states (JSON text each). Each state is a new
/// visitor whose session started `time on site` seconds before [`NOW_MS`], so the
/// engine derives `session.time_on_site_s` from it.
pub fn contexts(count: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed ^ 0x5eed);
    (0..count)
        .map(|i| {
            let (context, time_on_site) = context(&mut rng);
            let start = NOW_MS - (time_on_site as i64) * 1000;
            let state = perso_core::VisitorState::new(&format!("visitor-{i}"), start);
            (context.to_string(), state.to_json())
        })
        .collect()
}
