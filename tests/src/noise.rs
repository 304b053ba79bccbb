//! Test bodies whose bytes are not all alike, so that a misplaced or repeated piece shows.

/// `n` bytes of xorshift noise from `seed` (any non-zero value; the same seed, the same bytes).
pub fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
