//! Reading the postcard wire format without serde: the one decoder of the compiled
//! bundle's engine section and of the visitor state's compact form, natively and in
//! the wasm.
//!
//! The format is postcard's (its specification: varint LEB128 unsigned integers,
//! zigzag-varint signed ones, raw bytes for `u8`/`i8`/`bool`, little-endian floats,
//! length-prefixed strings and sequences, `0`/`1` before an `Option`'s value, a varint
//! variant index before an enum's content, fields in declaration order). Encoding
//! stays serde + postcard (natively, in the compiler). Decoding is written out here
//! because serde's derived visitors were the largest single part of the wasm (about
//! 38 KB of 165 KB); the types' `Wire` impls below are checked against postcard's own
//! encoder by round-trip tests over every bundle and state the tests know, and a
//! property test over mutated bytes. Every read is bounds-checked and no length can
//! make the reader allocate more than the input could hold.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// A cursor over encoded bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at = self.at.checked_add(1)?;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let chunk = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(chunk)
    }

    /// An unsigned LEB128 varint of at most `max_bytes` bytes.
    fn varint(&mut self, max_bytes: u32) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..max_bytes {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).checked_shl(i.checked_mul(7)?)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    pub fn u16(&mut self) -> Option<u16> {
        u16::try_from(self.varint(3)?).ok()
    }

    pub fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint(5)?).ok()
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.varint(10)
    }

    fn zigzag(v: u64) -> i64 {
        // The low bit is the sign: `x ^ -1` is `!x`.
        let magnitude = (v >> 1) as i64;
        if v & 1 == 0 {
            magnitude
        } else {
            !magnitude
        }
    }

    pub fn i32(&mut self) -> Option<i32> {
        i32::try_from(Self::zigzag(self.varint(5)?)).ok()
    }

    pub fn i64(&mut self) -> Option<i64> {
        Some(Self::zigzag(self.varint(10)?))
    }

    pub fn f64(&mut self) -> Option<f64> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.take(8)?);
        Some(f64::from_le_bytes(raw))
    }

    pub fn bool(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// A sequence length, refused if the rest of the input could not hold that many
    /// items of at least `min_item_bytes` each (no allocation from a lying length).
    pub fn len(&mut self, min_item_bytes: usize) -> Option<usize> {
        let n = usize::try_from(self.varint(5)?).ok()?;
        let left = self.bytes.len().saturating_sub(self.at);
        (n.checked_mul(min_item_bytes.max(1))? <= left || n == 0).then_some(n)
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let n = self.len(1)?;
        core::str::from_utf8(self.take(n)?).ok()
    }

    /// An enum's variant index.
    pub fn variant(&mut self) -> Option<u32> {
        self.u32()
    }
}

/// A type read from the postcard format.
pub trait Wire: Sized {
    fn read(r: &mut Reader<'_>) -> Option<Self>;
}

impl Wire for u8 {
    fn read(r: &mut Reader<'_>) -> Option<u8> {
        r.byte()
    }
}
impl Wire for u16 {
    fn read(r: &mut Reader<'_>) -> Option<u16> {
        r.u16()
    }
}
impl Wire for u32 {
    fn read(r: &mut Reader<'_>) -> Option<u32> {
        r.u32()
    }
}
impl Wire for u64 {
    fn read(r: &mut Reader<'_>) -> Option<u64> {
        r.u64()
    }
}
impl Wire for i32 {
    fn read(r: &mut Reader<'_>) -> Option<i32> {
        r.i32()
    }
}
impl Wire for i64 {
    fn read(r: &mut Reader<'_>) -> Option<i64> {
        r.i64()
    }
}
impl Wire for f64 {
    fn read(r: &mut Reader<'_>) -> Option<f64> {
        r.f64()
    }
}
impl Wire for bool {
    fn read(r: &mut Reader<'_>) -> Option<bool> {
        r.bool()
    }
}
impl Wire for Box<str> {
    fn read(r: &mut Reader<'_>) -> Option<Box<str>> {
        r.str().map(Box::from)
    }
}
impl Wire for String {
    fn read(r: &mut Reader<'_>) -> Option<String> {
        r.str().map(String::from)
    }
}
impl<T: Wire> Wire for Option<T> {
    fn read(r: &mut Reader<'_>) -> Option<Option<T>> {
        match r.byte()? {
            0 => Some(None),
            1 => Some(Some(T::read(r)?)),
            _ => None,
        }
    }
}
impl<T: Wire> Wire for Vec<T> {
    fn read(r: &mut Reader<'_>) -> Option<Vec<T>> {
        let n = r.len(1)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(T::read(r)?);
        }
        Some(items)
    }
}
impl<T: Wire> Wire for Box<[T]> {
    fn read(r: &mut Reader<'_>) -> Option<Box<[T]>> {
        Vec::<T>::read(r).map(Vec::into_boxed_slice)
    }
}
impl<A: Wire, B: Wire> Wire for (A, B) {
    fn read(r: &mut Reader<'_>) -> Option<(A, B)> {
        Some((A::read(r)?, B::read(r)?))
    }
}

/// `Wire` for a struct: its fields in declaration order (postcard writes them so).
macro_rules! wire_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::program::wire::Wire for $ty {
            fn read(r: &mut $crate::program::wire::Reader<'_>) -> Option<Self> {
                Some($ty { $($field: $crate::program::wire::Wire::read(r)?),* })
            }
        }
    };
}

/// `Wire` for a fieldless enum: its variants by index, in declaration order.
macro_rules! wire_unit_enum {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl $crate::program::wire::Wire for $ty {
            fn read(r: &mut $crate::program::wire::Reader<'_>) -> Option<Self> {
                const ALL: &[$ty] = &[$($ty::$variant),*];
                ALL.get(r.variant()? as usize).copied()
            }
        }
    };
}

pub(crate) use {wire_struct, wire_unit_enum};

/// Reads a whole value: every byte must be used.
pub fn read_all<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader::new(bytes);
    let value = T::read(&mut r)?;
    r.is_empty().then_some(value)
}

/// Writing the same format, for the few values hosts write often (the visitor
/// state): small enough not to need serde in the wasm.
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn varint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.bytes.push(b);
                return;
            }
            self.bytes.push(b | 0x80);
        }
    }

    pub fn i64(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn bool(&mut self, v: bool) {
        self.bytes.push(u8::from(v));
    }

    pub fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.bytes.extend_from_slice(s.as_bytes());
    }

    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.bytes.push(0),
            Some(s) => {
                self.bytes.push(1);
                self.str(s);
            }
        }
    }

    pub fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            None => self.bytes.push(0),
            Some(v) => {
                self.bytes.push(1);
                self.i64(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "json")]
    fn reads_what_postcard_writes() {
        let value: (u64, i64, Option<String>, Vec<(u32, f64)>, bool) =
            (300, -7, Some("héllo".into()), alloc::vec![(1, 2.5), (u32::MAX, -0.0)], true);
        let bytes = postcard::to_allocvec(&value).unwrap_or_default();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u64(), Some(300));
        assert_eq!(r.i64(), Some(-7));
        assert_eq!(Option::<String>::read(&mut r), Some(Some("héllo".into())));
        assert_eq!(Vec::<(u32, f64)>::read(&mut r), Some(alloc::vec![(1, 2.5), (u32::MAX, -0.0)]));
        assert_eq!(r.bool(), Some(true));
        assert!(r.is_empty());
        for cut in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..cut]);
            let whole = (|| {
                Some((r.u64()?, r.i64()?, Option::<String>::read(&mut r)?, Vec::<(u32, f64)>::read(&mut r)?, r.bool()?))
            })();
            assert!(whole.is_none(), "truncated at {cut}");
        }
        let mut w = Writer { bytes: Vec::new() };
        w.varint(300);
        w.i64(-7);
        assert_eq!(&w.bytes[..], &bytes[..3]);
    }

    #[test]
    fn lengths_cannot_outrun_the_input() {
        // A sequence claiming 2^32 - 1 items in a 6-byte input.
        assert_eq!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0]).len(1), None);
        assert_eq!(read_all::<Vec<u64>>(&[0xff, 0xff, 0xff, 0xff, 0x0f]), None);
        assert_eq!(Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).u32(), None, "overlong varint");
    }
}
