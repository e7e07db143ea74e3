//! Folds order lines, as they stream in, into what the profiles need and nothing
//! more: per-customer aggregates (last order day, distinct orders, spend) and per-order
//! baskets of interned sku and category ids. Memory grows with customers and orders,
//! not with lines; the rows themselves are never kept.

use super::orders::{OrderLine, RowError};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerTotals {
    pub last_day: i64,
    /// Distinct order ids.
    pub orders: u32,
    pub monetary_cents: i64,
}

#[derive(Debug, Default)]
struct Basket {
    customer: u32,
    skus: Vec<u32>,
    categories: Vec<u32>,
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
    baskets: Vec<Basket>,
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
            let owner = &self.customers.names[self.baskets[*id as usize].customer as usize];
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
                let id = self.baskets.len() as u32;
                self.order_ids.insert(line.order_id.clone(), id);
                self.baskets.push(Basket { customer, ..Basket::default() });
                self.totals[customer as usize].orders += 1;
                id
            }
        };
        let sku = self.skus.intern(&line.sku);
        let category = self.categories.intern(&line.category);
        let basket = &mut self.baskets[basket_id as usize];
        basket.skus.push(sku);
        basket.categories.push(category);
        let totals = &mut self.totals[customer as usize];
        totals.last_day = totals.last_day.max(line.day);
        totals.monetary_cents += line.value_cents;
        self.max_day = Some(self.max_day.map_or(line.day, |d| d.max(line.day)));
        self.lines += 1;
        Ok(())
    }

    pub fn order_count(&self) -> u64 {
        self.baskets.len() as u64
    }

    /// Sorts and de-duplicates every basket, then hands them out.
    pub fn baskets(&mut self) -> impl Iterator<Item = BasketView<'_>> {
        for basket in &mut self.baskets {
            basket.skus.sort_unstable();
            basket.skus.dedup();
            basket.categories.sort_unstable();
            basket.categories.dedup();
        }
        self.baskets.iter().map(|b| BasketView { skus: &b.skus, categories: &b.categories })
    }
}
