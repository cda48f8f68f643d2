//! Sorting lists of u64 whose high bits are a hash (uniformly spread): one pass
//! into buckets by those bits, then each bucket sorted on its own (a few values,
//! by insertion). A sketch's (hash, position) entries are such a list, and the
//! general sort's comparisons cost more than the two passes. (The LSH band
//! entries are too, but sorting them is a small part of the LSH step: no gain
//! measured there.)

/// Buckets larger than this are sorted by the general sort (skewed input: a
/// phrase repeated throughout a text, a band shared by many near copies).
const SMALL: usize = 16;

/// Sorts `v` (ascending), bucketing by the `bits` bits above bit `shift`, which
/// must be the values' highest (every value below `2^(shift + bits)`).
/// `spill` and `starts` are reusable scratch.
pub(crate) fn sort_spread(
    v: &mut [u64],
    spill: &mut Vec<u64>,
    starts: &mut Vec<u32>,
    shift: u32,
    bits: u32,
) {
    let buckets = 1usize << bits;
    let mask = buckets as u64 - 1;
    let bucket = |x: u64| ((x >> shift) & mask) as usize;
    debug_assert!(shift + bits >= 64 || v.iter().all(|&x| x >> (shift + bits) == 0));
    starts.clear();
    starts.resize(buckets + 1, 0);
    for &x in v.iter() {
        starts[bucket(x) + 1] += 1;
    }
    for b in 1..=buckets {
        starts[b] += starts[b - 1];
    }
    spill.clear();
    spill.resize(v.len(), 0);
    // `starts[b]` walks from the start of bucket b to its end (the next start).
    for &x in v.iter() {
        let b = bucket(x);
        if let Some(slot) = spill.get_mut(starts[b] as usize) {
            *slot = x;
        }
        starts[b] += 1;
    }
    let mut from = 0;
    for &end in &starts[..buckets] {
        let end = end as usize;
        let run = &mut spill[from..end];
        if run.len() > SMALL {
            run.sort_unstable();
        } else {
            insertion_sort(run);
        }
        from = end;
    }
    v.copy_from_slice(spill);
}

fn insertion_sort(v: &mut [u64]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn equals_a_plain_sort(
            v in proptest::collection::vec(proptest::num::u64::ANY, 0..3000),
            skew in 0u32..4,
            (shift, bits) in proptest::sample::select(vec![(40u32, 8u32), (48, 16), (56, 8), (0, 4)]),
        ) {
            // Uniform values below 2^(shift + bits), and values crowded into a few
            // buckets (skew).
            let top = shift + bits;
            let mut v: Vec<u64> = v
                .into_iter()
                .map(|x| (if top < 64 { x & ((1 << top) - 1) } else { x }) >> (skew * 20))
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_spread(&mut v, &mut Vec::new(), &mut Vec::new(), shift, bits);
            proptest::prop_assert_eq!(v, want);
        }
    }
}
