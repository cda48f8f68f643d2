//! Sorting lists of u64 whose high bits are a hash (uniformly spread): one pass
//! into buckets by those bits, then each bucket sorted on its own (a few values,
//! by insertion). A sketch's (hash, position) entries are such a list, and the
//! general sort's comparisons cost more than the two passes. (The LSH band
//! entries are too, but sorting them is a small part of the LSH step: no gain
//! measured there.)

/// More moves than this per value in the insertion pass (skewed input: a phrase
/// repeated throughout a text) send the list to the general sort.
const SMALL: usize = 16;

/// Sorts `v` (ascending), bucketing by its values' top bits: every value must be
/// below `2^(shift + 8)`. Lists up to 1,024 values use 256 buckets, longer ones
/// (character shingles, long texts) 4,096, so a bucket holds about four values.
/// Lists shorter than the buckets are worth, or long enough to crowd them, take
/// the general sort. `spill` is reusable scratch.
pub(crate) fn sort_spread(v: &mut [u64], spill: &mut Vec<u64>, shift: u32) {
    match v.len() {
        64..=1024 => spread::<8, 257>(v, spill, shift),
        1025..=16384 if shift >= 4 => spread::<12, 4097>(v, spill, shift - 4),
        _ => v.sort_unstable(),
    }
}

/// [`sort_spread`] with `2^BITS` buckets (`S` = `2^BITS + 1`) by the `BITS` bits
/// above bit `shift`, which must be the values' highest.
fn spread<const BITS: u32, const S: usize>(v: &mut [u64], spill: &mut Vec<u64>, shift: u32) {
    // `S` is derived from `BITS` (stable Rust cannot size the array from it).
    const { assert!(S == (1 << BITS) + 1) };
    let bucket = |x: u64| (x >> shift) as usize & ((1 << BITS) - 1);
    debug_assert!(shift + BITS >= 64 || v.iter().all(|&x| x >> (shift + BITS) == 0));
    let mut starts = [0u32; S];
    for &x in v.iter() {
        starts[bucket(x) + 1] += 1;
    }
    for b in 1..S {
        starts[b] += starts[b - 1];
    }
    spill.clear();
    spill.resize(v.len(), 0);
    for &x in v.iter() {
        let b = bucket(x);
        if let Some(slot) = spill.get_mut(starts[b] as usize) {
            *slot = x;
        }
        starts[b] += 1;
    }
    v.copy_from_slice(spill);
    // Buckets are in order; each value moves only within its own, a few places
    // unless the input is skewed.
    if !insertion_sort(v, SMALL * v.len()) {
        v.sort_unstable();
    }
}

/// Insertion sort that gives up (false, `v` still a permutation of its input)
/// after `budget` moves.
fn insertion_sort(v: &mut [u64], mut budget: usize) -> bool {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        let moved = i - j;
        if moved > budget {
            return false;
        }
        budget -= moved;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn equals_a_plain_sort(
            v in proptest::collection::vec(proptest::num::u64::ANY, 0..20000),
            skew in 0u32..4,
            shift in proptest::sample::select(vec![40u32, 56, 0]),
        ) {
            // Uniform values below 2^(shift + 8), and values crowded into a few
            // buckets (skew).
            let top = shift + 8;
            let mut v: Vec<u64> = v
                .into_iter()
                .map(|x| (if top < 64 { x & ((1 << top) - 1) } else { x }) >> (skew * 20))
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_spread(&mut v, &mut Vec::new(), shift);
            proptest::prop_assert_eq!(v, want);
        }
    }
}
