//! Folds order lines, as they stream in, into what the profiles need and nothing
//! more: per-customer aggregates (last order day, distinct orders, spend) and per-order
//! baskets of interned sku and category ids. The rows themselves are never kept: per
//! line only 12 bytes (order, sku and category ids) stay until the baskets are counted,
//! because an export need not group an order's lines together; per order, its owner
//! and its id. (1 M lines: see bench/results/cli.md.)

use super::orders::{OrderLine, RowError};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerTotals {
    pub last_day: i64,
    /// Distinct order ids.
    pub orders: u32,
    pub monetary_cents: i64,
}

/// Interns strings into dense ids.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    pub names: Vec<String>,
}

impl Interner {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        id
    }
}

#[derive(Debug, Default)]
pub struct History {
    pub customers: Interner,
    pub totals: Vec<CustomerTotals>,
    pub skus: Interner,
    pub categories: Interner,
    order_ids: HashMap<String, u32>,
    /// Owner (customer id) of each order, by order index.
    order_owner: Vec<u32>,
    /// (order, sku, category) of each line, sorted into baskets by [`History::baskets`].
    order_lines: Vec<(u32, u32, u32)>,
    pub lines: u64,
    pub max_day: Option<i64>,
}

/// One basket, ready for counting: distinct skus and categories, each sorted.
pub struct BasketView<'a> {
    pub skus: &'a [u32],
    pub categories: &'a [u32],
}

impl History {
    /// Adds a valid line. An order id seen before under another customer is refused.
    pub fn add(&mut self, line: &OrderLine, line_number: u64) -> Result<(), RowError> {
        // Checked before anything is recorded, so a refused row leaves no trace.
        if let Some(id) = self.order_ids.get(&line.order_id) {
            let owner = &self.customers.names[self.order_owner[*id as usize] as usize];
            if *owner != line.customer_id {
                return Err(RowError {
                    line: line_number,
                    field: "order_id".into(),
                    message: format!(
                        "order `{}` already belongs to customer `{owner}`, not `{}`",
                        line.order_id, line.customer_id
                    ),
                });
            }
        }
        let customer = self.customers.intern(&line.customer_id);
        if customer as usize == self.totals.len() {
            self.totals.push(CustomerTotals { last_day: line.day, ..CustomerTotals::default() });
        }
        let basket_id = match self.order_ids.get(&line.order_id) {
            Some(id) => *id,
            None => {
                let id = self.order_owner.len() as u32;
                self.order_ids.insert(line.order_id.clone(), id);
                self.order_owner.push(customer);
                self.totals[customer as usize].orders += 1;
                id
            }
        };
        let sku = self.skus.intern(&line.sku);
        let category = self.categories.intern(&line.category);
        self.order_lines.push((basket_id, sku, category));
        let totals = &mut self.totals[customer as usize];
        totals.last_day = totals.last_day.max(line.day);
        totals.monetary_cents += line.value_cents;
        self.max_day = Some(self.max_day.map_or(line.day, |d| d.max(line.day)));
        self.lines += 1;
        Ok(())
    }

    pub fn order_count(&self) -> u64 {
        self.order_owner.len() as u64
    }

    /// Every basket (distinct skus and categories, each sorted), once the lines are in.
    pub fn baskets(&mut self) -> Baskets<'_> {
        self.order_lines.sort_unstable();
        Baskets { lines: &self.order_lines, skus: Vec::new(), categories: Vec::new() }
    }
}

/// Walks the sorted lines one order at a time (a lending iterator: each basket
/// borrows the walker's buffers).
pub struct Baskets<'a> {
    lines: &'a [(u32, u32, u32)],
    skus: Vec<u32>,
    categories: Vec<u32>,
}

impl Baskets<'_> {
    pub fn next_basket(&mut self) -> Option<BasketView<'_>> {
        let (order, _, _) = *self.lines.first()?;
        let end = self.lines.partition_point(|(o, _, _)| *o <= order);
        let (basket, rest) = self.lines.split_at(end);
        self.lines = rest;
        self.skus.clear();
        self.categories.clear();
        self.skus.extend(basket.iter().map(|(_, sku, _)| *sku));
        self.categories.extend(basket.iter().map(|(_, _, category)| *category));
        self.skus.sort_unstable();
        self.skus.dedup();
        self.categories.sort_unstable();
        self.categories.dedup();
        Some(BasketView { skus: &self.skus, categories: &self.categories })
    }
}
