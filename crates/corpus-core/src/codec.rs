//! The binary form of sketches and survivor values (little-endian,
//! length-prefixed), shared by checkpoint shards and the member bytes of
//! [`crate::dedup::dist`].

use crate::dedup::{RankValue, Sketch};

fn put_u32s(buf: &mut Vec<u8>, v: &[u32]) {
    buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
    buf.extend(v.iter().flat_map(|x| x.to_le_bytes()));
}

fn put_u16s(buf: &mut Vec<u8>, v: &[u16]) {
    buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
    buf.extend(v.iter().flat_map(|x| x.to_le_bytes()));
}

/// `v`, prefixed with its length.
pub(crate) fn put_bytes(buf: &mut Vec<u8>, v: &[u8]) {
    buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
    buf.extend_from_slice(v);
}

/// A sketch, for [`Bytes::sketch`].
pub(crate) fn put_sketch(buf: &mut Vec<u8>, s: &Sketch) {
    buf.extend_from_slice(&s.exact.to_le_bytes());
    buf.extend_from_slice(&s.shingles.to_le_bytes());
    buf.extend_from_slice(&s.chars.to_le_bytes());
    put_u32s(buf, &s.sig);
    put_u32s(buf, &s.numbers);
    put_u32s(buf, &s.anchors);
    put_u32s(buf, &s.set);
    put_u16s(buf, &s.pos);
}

/// A survivor value, for [`Bytes::rank`].
pub(crate) fn put_rank(buf: &mut Vec<u8>, rank: Option<&RankValue>) {
    match rank {
        None => buf.push(0),
        Some(RankValue::Num(x)) => {
            buf.push(1);
            buf.extend_from_slice(&x.to_le_bytes());
        }
        Some(RankValue::Str(x)) => {
            buf.push(2);
            put_bytes(buf, x.as_bytes());
        }
        Some(RankValue::Time(t)) => {
            buf.push(3);
            buf.extend_from_slice(&t.to_le_bytes());
        }
    }
}

/// A cursor over encoded bytes; `None` once they end early or do not parse.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl<'a> Bytes<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    pub(crate) fn arr<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.arr::<1>()?[0])
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.arr()?))
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.arr()?))
    }
    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub(crate) fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
    fn u16s(&mut self) -> Option<Box<[u16]>> {
        let n = self.u32()? as usize;
        let raw = self.take(n.checked_mul(2)?)?;
        Some(
            raw.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        )
    }
    fn u32s(&mut self) -> Option<Box<[u32]>> {
        let n = self.u32()? as usize;
        let raw = self.take(n.checked_mul(4)?)?;
        Some(
            raw.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
    /// What [`put_sketch`] wrote.
    pub(crate) fn sketch(&mut self) -> Option<Sketch> {
        let exact = u128::from_le_bytes(self.arr()?);
        let shingles = self.u32()?;
        let chars = self.u64()?;
        Some(Sketch {
            exact,
            sig: self.u32s()?,
            shingles,
            chars,
            numbers: self.u32s()?,
            anchors: self.u32s()?,
            set: self.u32s()?,
            pos: self.u16s()?,
        })
    }
    /// What [`put_rank`] wrote (`Some(None)`: no value).
    pub(crate) fn rank(&mut self) -> Option<Option<RankValue>> {
        Some(match self.u8()? {
            0 => None,
            1 => Some(RankValue::Num(f64::from_le_bytes(self.arr()?))),
            2 => Some(RankValue::Str(self.string()?)),
            3 => Some(RankValue::Time(i64::from_le_bytes(self.arr()?))),
            _ => return None,
        })
    }
}
