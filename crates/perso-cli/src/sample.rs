//! `perso sample-orders`: a realistic, seeded order history for demos, tests and the
//! benchmark, over a bundle's catalogue (`products`). Realistic in the ways the
//! profiles care about: a few loyal customers and many one-time buyers (heavy-tailed
//! order counts), customers who drift away (recency), favourite categories, cheaper
//! items bought more often, and co-purchases that follow the bundle's own affinity
//! table (a headphone buyer often adds a case), so `perso profiles` has real signal to
//! find. The same seed always gives the same file.
//!
//! A new store's catalogue has no affinity table yet: then every basket would hold
//! one item and the profiles would find no co-purchase at all. The sample says so and
//! makes up co-purchases within categories instead (a kettle buyer may add filters),
//! a stand-in labelled as such, never a claim about the store's shoppers.

use crate::error::{read_file, CliError, Result};
use clap::Args;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Bundle whose `products` (and `affinity`, for co-purchases) to use.
    #[arg(long, default_value = "www/bundle.json")]
    pub catalog: PathBuf,
    /// Number of orders.
    #[arg(long, default_value_t = 30_000)]
    pub orders: u32,
    /// Number of customers (default: orders / 3).
    #[arg(long)]
    pub customers: Option<u32>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last order date (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-24")]
    pub end: String,
    /// Days of history.
    #[arg(long, default_value_t = 730)]
    pub days: u32,
    /// Output CSV (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

struct Product {
    sku: String,
    category: String,
    price: f64,
    weight: f64,
    related: Vec<(usize, f64)>,
}

fn catalogue(args: &SampleArgs) -> Result<Vec<Product>> {
    let bundle: serde_json::Value = serde_json::from_slice(&read_file(&args.catalog)?)
        .map_err(|e| CliError::input(&args.catalog, format!("not JSON: {e}")))?;
    let products =
        bundle.get("products").and_then(|p| p.as_object()).filter(|p| !p.is_empty()).ok_or_else(|| {
            CliError::input(&args.catalog, "products: missing or empty (the sample needs a catalogue)")
        })?;
    let mut list: Vec<Product> = products
        .iter()
        .map(|(sku, p)| {
            let price = p.get("price").and_then(|v| v.as_f64()).unwrap_or(20.0);
            Product {
                sku: sku.clone(),
                category: p.get("category").and_then(|v| v.as_str()).unwrap_or("other").to_owned(),
                price,
                // Cheaper items sell more often.
                weight: 1.0 / price.max(5.0).sqrt(),
                related: Vec::new(),
            }
        })
        .collect();
    let index = |sku: &str| list.iter().position(|p| p.sku == sku);
    let mut related = vec![Vec::new(); list.len()];
    if let Some(items) = bundle.pointer("/affinity/items").and_then(|v| v.as_object()) {
        for (sku, pairs) in items {
            let Some(from) = index(sku) else { continue };
            for pair in pairs.as_array().into_iter().flatten() {
                let to = pair.get(0).and_then(|s| s.as_str()).and_then(index);
                let score = pair.get(1).and_then(|s| s.as_f64());
                if let (Some(to), Some(score)) = (to, score) {
                    related[from].push((to, score.clamp(0.0, 1.0)));
                }
            }
        }
    }
    if related.iter().all(Vec::is_empty) {
        eprintln!(
            "warning: {} has no affinity.items table: without it every basket would hold one item and `perso profiles` would find no co-purchase; co-purchases are made up within categories instead (a stand-in for a demo, not your shoppers' behaviour)",
            args.catalog.display()
        );
        for (from, row) in related.iter_mut().enumerate() {
            let category = list.get(from).map(|p| p.category.as_str()).unwrap_or("");
            let same: Vec<usize> = (0..list.len())
                .filter(|to| *to != from && list.get(*to).is_some_and(|p| p.category == category))
                .collect();
            row.extend(same.into_iter().take(CATEGORY_COMPANIONS).map(|to| (to, CATEGORY_SCORE)));
        }
    }
    for (product, related) in list.iter_mut().zip(related) {
        product.related = related;
    }
    Ok(list)
}

/// Made-up companions per item of a catalogue without an affinity table, and how
/// likely each joins the basket (before the sample's own 0.9 damping).
const CATEGORY_COMPANIONS: usize = 3;
const CATEGORY_SCORE: f64 = 0.35;

fn pick(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.gen::<f64>() * total;
    cumulative.partition_point(|c| *c <= x).min(cumulative.len() - 1)
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

pub fn run(args: SampleArgs) -> Result<()> {
    let end_day = crate::profiles::orders::parse_day(&args.end)
        .filter(|_| args.end.len() == 10)
        .ok_or_else(|| CliError::Usage(format!("--end `{}` is not a YYYY-MM-DD date", args.end)))?;
    if args.orders == 0 || args.days == 0 {
        return Err(CliError::Usage("--orders and --days must be at least 1".into()));
    }
    let products = catalogue(&args)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let start_day = end_day - i64::from(args.days) + 1;
    let customer_count = args.customers.unwrap_or((args.orders / 3).max(1)) as usize;
    let categories: Vec<String> = {
        let mut c: Vec<String> = products.iter().map(|p| p.category.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    struct Customer {
        favourite: usize,
        first_day: i64,
        last_day: i64,
    }
    let customers: Vec<Customer> = (0..customer_count)
        .map(|_| {
            let a = rng.gen_range(start_day..=end_day);
            let b = rng.gen_range(start_day..=end_day);
            Customer { favourite: rng.gen_range(0..categories.len()), first_day: a.min(b), last_day: a.max(b) }
        })
        .collect();
    // Heavy-tailed activity (Pareto, alpha 1.2): a few loyal customers, many one-timers.
    let activity = cumulative((0..customer_count).map(|_| (1.0 - rng.gen::<f64>()).powf(-1.0 / 1.2)));
    let all_products = cumulative(products.iter().map(|p| p.weight));
    let by_category: Vec<(Vec<usize>, Vec<f64>)> = categories
        .iter()
        .map(|c| {
            let members: Vec<usize> = (0..products.len()).filter(|i| products[*i].category == *c).collect();
            let weights = cumulative(members.iter().map(|i| products[*i].weight));
            (members, weights)
        })
        .collect();
    // (day, customer, lines of (product, quantity, unit price))
    type Order = (i64, usize, Vec<(usize, u32, f64)>);
    let mut orders: Vec<Order> = Vec::with_capacity(args.orders as usize);
    for _ in 0..args.orders {
        let who = pick(&mut rng, &activity);
        let customer = &customers[who];
        let day = rng.gen_range(customer.first_day..=customer.last_day);
        let first = if rng.gen_bool(0.6) {
            let (members, weights) = &by_category[customer.favourite];
            members[pick(&mut rng, weights)]
        } else {
            pick(&mut rng, &all_products)
        };
        let mut basket = vec![first];
        for &(related, score) in &products[first].related {
            if !basket.contains(&related) && rng.gen_bool(score * 0.9) {
                basket.push(related);
            }
        }
        if rng.gen_bool(0.15) {
            let extra = pick(&mut rng, &all_products);
            if !basket.contains(&extra) {
                basket.push(extra);
            }
        }
        let lines = basket
            .into_iter()
            .map(|i| {
                let p = &products[i];
                let qty = if p.price < 40.0 && rng.gen_bool(0.25) { rng.gen_range(2..=3) } else { 1 };
                let price = if rng.gen_bool(0.2) { (p.price * 90.0).round() / 100.0 } else { p.price };
                (i, qty, price)
            })
            .collect();
        orders.push((day, who, lines));
    }
    orders.sort_by_key(|(day, _, _)| *day);
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
            }
            Box::new(std::fs::File::create(path).map_err(|e| CliError::io(path, e))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, sink));
    let write_error = |e: csv::Error| CliError::Failed(format!("writing the sample: {e}"));
    out.write_record(crate::profiles::orders::COLUMNS).map_err(write_error)?;
    let width = (customer_count.max(2) as f64).log10().ceil() as usize + 1;
    let mut line_count = 0u64;
    for (number, (day, who, lines)) in orders.iter().enumerate() {
        let date = crate::profiles::orders::civil_from_days(*day);
        for (i, qty, price) in lines {
            let p = &products[*i];
            out.write_record([
                format!("C{who:0width$}"),
                format!("O{:07}", number + 1),
                date.clone(),
                p.sku.clone(),
                p.category.clone(),
                qty.to_string(),
                format!("{price:.2}"),
            ])
            .map_err(write_error)?;
            line_count += 1;
        }
    }
    out.flush().map_err(|e| CliError::Failed(format!("writing the sample: {e}")))?;
    eprintln!("{} orders, {line_count} lines, {customer_count} customers (seed {})", orders.len(), args.seed);
    Ok(())
}
