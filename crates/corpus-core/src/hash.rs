//! xxh3 of whole texts and records (exact keys, text identities, the pass-2
//! check of each record, the fingerprints of inputs and checkpoints). The hash is the one of the
//! xxh3 specification, as everywhere else in the crate; this implementation
//! chooses its AVX2 loop at run time, so the portable build hashes long inputs
//! at full speed (xxhash-rust, which hashes the short ones, fixes its loop
//! when compiled: SSE2 on a portable build).

/// xxh3-64 of `bytes`.
pub(crate) fn long64(bytes: &[u8]) -> u64 {
    twox_hash::XxHash3_64::oneshot(bytes)
}

/// xxh3-128 of `bytes`.
pub(crate) fn long128(bytes: &[u8]) -> u128 {
    twox_hash::XxHash3_128::oneshot(bytes)
}

/// xxh3-128 of `bytes` with `seed`.
pub(crate) fn long128_seeded(bytes: &[u8], seed: u64) -> u128 {
    twox_hash::XxHash3_128::oneshot_with_seed(seed, bytes)
}

/// xxh3-64 of bytes given in pieces (a file as it is read or written).
#[derive(Default)]
pub(crate) struct Stream64(twox_hash::XxHash3_64);

impl Stream64 {
    /// Adds the next piece.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        std::hash::Hasher::write(&mut self.0, bytes);
    }

    /// The hash of the pieces so far.
    pub(crate) fn digest(&self) -> u64 {
        std::hash::Hasher::finish(&self.0)
    }
}

#[cfg(test)]
mod tests {
    /// The same values as the short-input implementation, at every length
    /// around the xxh3 size classes (16, 128, 240 bytes, stripes and blocks).
    #[test]
    fn long_hashes_equal_the_short_implementation() {
        let text: Vec<u8> = crate::seed_texts().concat().into_bytes();
        for len in (0..300)
            .chain([1023, 1024, 1025, 4096, 10_000])
            .chain([text.len()])
        {
            let b = &text[..len.min(text.len())];
            assert_eq!(super::long64(b), xxhash_rust::xxh3::xxh3_64(b), "{len}");
            assert_eq!(super::long128(b), xxhash_rust::xxh3::xxh3_128(b), "{len}");
            assert_eq!(
                super::long128_seeded(b, 0x5eed),
                xxhash_rust::xxh3::xxh3_128_with_seed(b, 0x5eed),
                "{len}"
            );
            // Streamed in uneven pieces.
            let mut s = super::Stream64::default();
            for piece in b.chunks(1 + len % 97) {
                s.update(piece);
            }
            assert_eq!(s.digest(), xxhash_rust::xxh3::xxh3_64(b), "{len}");
        }
    }
}
