//! MurmurHash3, x86 32-bit variant, seed 0: the hash flagd's `fractional` uses
//! (Go `murmur3.StringSum32`), so a visitor lands in the same bucket in perso as in
//! flagd, and in every perso host (native, WebAssembly, future SDKs). It is a small,
//! fully specified function; the crate-registry alternatives read from `io::Read`
//! and would cost more than this.

pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        // `chunks_exact(4)` yields only 4-byte chunks: the pattern always matches.
        let &[b0, b1, b2, b3] = chunk else { continue };
        let mut k = u32::from_le_bytes([b0, b1, b2, b3]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        // The tail's bytes little-endian: the last byte ends up highest.
        let mut k = tail.iter().rev().fold(0u32, |k, byte| (k << 8) | u32::from(*byte));
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// flagd's bucket choice: `bucket = hash * total_weight >> 32`, then the first entry
/// whose cumulative weight exceeds the bucket. Negative weights count as zero;
/// `None` when every weight is zero (or the weights sum past 2^96, which would take
/// billions of entries: no bucket rather than a wrapped one).
pub fn pick_bucket(key: &[u8], weights: impl Iterator<Item = i64> + Clone) -> Option<usize> {
    // In u128, so no sum of weights (each up to i64::MAX) can overflow.
    let total: u128 = weights.clone().map(|w| w.max(0) as u128).sum();
    if total == 0 {
        return None;
    }
    let bucket = u128::from(murmur3_x86_32(key, 0)).checked_mul(total)? >> 32;
    let mut cumulative = 0u128;
    for (index, weight) in weights.enumerate() {
        // Never above `total`, which did not overflow.
        cumulative = cumulative.saturating_add(weight.max(0) as u128);
        if cumulative > bucket {
            return Some(index);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // Reference values of MurmurHash3_x86_32 (Appleby's SMHasher).
        assert_eq!(murmur3_x86_32(b"", 0), 0);
        assert_eq!(murmur3_x86_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_x86_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(murmur3_x86_32(b"Hello, world!", 0), 0xc036_3e43);
        assert_eq!(murmur3_x86_32(b"The quick brown fox jumps over the lazy dog", 0), 0x2e4f_f723);
    }

    #[test]
    fn buckets_follow_weights() {
        assert_eq!(pick_bucket(b"x", [0, 0].into_iter()), None);
        assert_eq!(pick_bucket(b"x", [-5, 3].into_iter()), Some(1));
        let mut counts = [0usize; 2];
        for i in 0..10_000 {
            if let Some(b) = pick_bucket(format!("visitor-{i}").as_bytes(), [1, 3].into_iter()) {
                counts[b] += 1;
            }
        }
        assert!((2_200..2_800).contains(&counts[0]), "{counts:?}");
    }
}
