//! Small helpers the engine's hot and size-sensitive paths use instead of the
//! standard library's general sorts: every list they order is short (a visitor's
//! ≤ 32 campaign records, ≤ 16 browser events), and one insertion sort costs a
//! fraction of the wasm bytes of `sort_by`'s monomorphized pattern-defeating
//! quicksorts.

/// Stable in-place insertion sort by `less`.
pub fn insertion_sort_by<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (items.get(j - 1), items.get(j)) else { break };
            if !less(b, a) {
                break;
            }
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorts_stably() {
        let mut v = [(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        super::insertion_sort_by(&mut v, |x, y| x.0 < y.0);
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
    }
}
