//! Ids seen millions of times (visitors, orders, campaigns, variants) kept once each in
//! one text arena and named by a dense `u32`, so the per-visitor state of a report is a
//! few integers instead of a heap string per visitor and per order.
//!
//! Cost per distinct id: its bytes, 8 bytes of end offset, and about 5 bytes of hash
//! table (a `u32` slot and a control byte, at most 7/8 full).

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

#[derive(Default)]
pub struct Interner {
    table: HashTable<u32>,
    arena: String,
    ends: Vec<usize>,
    hasher: DefaultHashBuilder,
}

/// More distinct ids than a `u32` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("more than 4,294,967,295 distinct ids")]
pub struct TooManyIds;

impl Interner {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, id: u32) -> &str {
        let index = id as usize;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.arena[start..self.ends[index]]
    }

    /// The id of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> Result<u32, TooManyIds> {
        let Interner { table, arena, ends, hasher } = self;
        let resolve = |id: u32| {
            let index = id as usize;
            let start = if index == 0 { 0 } else { ends[index - 1] };
            &arena[start..ends[index]]
        };
        let hash = hasher.hash_one(text);
        if let Some(&id) = table.find(hash, |&id| resolve(id) == text) {
            return Ok(id);
        }
        let id = u32::try_from(ends.len()).map_err(|_| TooManyIds)?;
        // The rehash closure cannot borrow the arena mutably grown below, so hash first.
        table.reserve(1, |&other| hasher.hash_one(resolve(other)));
        table.insert_unique(hash, id, |_| 0);
        arena.push_str(text);
        ends.push(arena.len());
        Ok(id)
    }

    /// Bytes held (arena, offsets and table), for the memory line of the summary.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_across_growth() {
        let mut interner = Interner::default();
        let ids: Vec<u32> = (0..10_000).map(|i| interner.intern(&format!("visitor-{i}")).unwrap()).collect();
        assert_eq!(ids, (0..10_000).collect::<Vec<u32>>());
        for i in (0..10_000).step_by(997) {
            assert_eq!(interner.intern(&format!("visitor-{i}")).unwrap(), i);
            assert_eq!(interner.get(i), format!("visitor-{i}"));
        }
        assert_eq!(interner.intern("").unwrap(), 10_000);
        assert_eq!(interner.get(10_000), "");
    }
}
