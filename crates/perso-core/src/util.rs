//! Small helpers the engine's hot and size-sensitive paths use instead of the
//! standard library's general sorts: every list they order is short (a visitor's
//! ≤ 32 campaign records, ≤ 16 browser events), and one insertion sort costs a
//! fraction of the wasm bytes of `sort_by`'s monomorphized pattern-defeating
//! quicksorts.

/// The largest char boundary of `text` at or below `max` (what `str::floor_char_boundary`
/// does, unstable as of Rust 1.85): where to cut a string to at most `max` bytes.
pub fn floor_char_boundary(text: &str, max: usize) -> usize {
    // At most three steps back: a UTF-8 character is at most four bytes.
    (0..=max.min(text.len())).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0)
}

/// Stable in-place insertion sort by `less`.
pub fn insertion_sort_by<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while let Some(before) = j.checked_sub(1) {
            let (Some(a), Some(b)) = (items.get(before), items.get(j)) else { break };
            if !less(b, a) {
                break;
            }
            items.swap(before, j);
            j = before;
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

    #[test]
    fn floors_to_char_boundaries() {
        use super::floor_char_boundary;
        assert_eq!(floor_char_boundary("héllo", 2), 1);
        assert_eq!(floor_char_boundary("héllo", 3), 3);
        assert_eq!(floor_char_boundary("héllo", 99), 6);
        assert_eq!(floor_char_boundary("", 5), 0);
        assert_eq!(floor_char_boundary("€", 2), 0);
    }
}
