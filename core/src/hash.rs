//! A cheap hasher for inet's own tables: handle ids (which count up) and pool keys (which the
//! application chose). Multiplicative mixing costs a fraction of SipHash; no table here is keyed
//! by bytes an attacker controls in bulk, so SipHash's flooding resistance buys nothing.

use std::hash::{BuildHasherDefault, Hasher};

/// Build-hasher for [`QuickHasher`].
pub(crate) type Quick = BuildHasherDefault<QuickHasher>;

#[derive(Default, Clone, Copy)]
pub(crate) struct QuickHasher(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for QuickHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(word));
        }
        for b in chunks.remainder() {
            self.write_u8(*b);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(K);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    #[test]
    fn different_keys_hash_differently() {
        let h = |v: &dyn Fn(&mut QuickHasher)| {
            let mut s = Quick::default().build_hasher();
            v(&mut s);
            s.finish()
        };
        let a = h(&|s| "127.0.0.1".hash(s));
        let b = h(&|s| "127.0.0.2".hash(s));
        let c = h(&|s| 1u64.hash(s));
        let d = h(&|s| 2u64.hash(s));
        assert_ne!(a, b);
        assert_ne!(c, d);
    }
}
