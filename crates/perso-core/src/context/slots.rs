//! The slot encoding: how a host hands the engine a context without JSON. The
//! host (the JS host kit, `js/src/kit/slots.js`) writes the value of every slot, in
//! slot order, into the engine's input buffer; the engine reads them here, strings
//! borrowed from the buffer. Little-endian; one tag byte per value:
//!
//! | tag | value | payload |
//! |---|---|---|
//! | 0 | null (absent) | — |
//! | 1 | false | — |
//! | 2 | true | — |
//! | 3 | number | f64, 8 bytes |
//! | 4 | string | u32 byte length, UTF-8 bytes |
//! | 5 | list | u32 count, then the values |
//! | 6 | object | u32 count, then per entry: u32 key length, key bytes, value |
//!
//! Nesting deeper than [`MAX_CONTEXT_DEPTH`] is refused, and the bounds of
//! [`super::Schema::finish`] apply as for any context.

use super::{Context, ContextError, Schema};
use crate::limits::MAX_CONTEXT_DEPTH;
use crate::logic::value::Datum;
use alloc::borrow::Cow;
use alloc::vec::Vec;

pub const NULL: u8 = 0;
pub const FALSE: u8 = 1;
pub const TRUE: u8 = 2;
pub const NUMBER: u8 = 3;
pub const STRING: u8 = 4;
pub const LIST: u8 = 5;
pub const OBJECT: u8 = 6;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn fail<T>(&self) -> Result<T, ContextError> {
        Err(ContextError::Encoding { offset: self.at })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ContextError> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        match end.and_then(|end| Some((end, self.bytes.get(self.at..end)?))) {
            Some((end, chunk)) => {
                self.at = end;
                Ok(chunk)
            }
            None => self.fail(),
        }
    }

    fn u8(&mut self) -> Result<u8, ContextError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u32(&mut self) -> Result<usize, ContextError> {
        let chunk = self.take(4)?;
        let mut raw = [0u8; 4];
        raw.copy_from_slice(chunk);
        Ok(u32::from_le_bytes(raw) as usize)
    }

    fn text(&mut self) -> Result<&'a str, ContextError> {
        let len = self.u32()?;
        let start = self.at;
        let bytes = self.take(len)?;
        core::str::from_utf8(bytes).map_err(|_| ContextError::Encoding { offset: start })
    }

    fn value(&mut self, depth: usize) -> Result<Datum<'a>, ContextError> {
        let tag = self.u8()?;
        Ok(match tag {
            NULL => Datum::Null,
            FALSE => Datum::Bool(false),
            TRUE => Datum::Bool(true),
            NUMBER => {
                let mut raw = [0u8; 8];
                raw.copy_from_slice(self.take(8)?);
                Datum::Num(f64::from_le_bytes(raw))
            }
            STRING => Datum::Str(Cow::Borrowed(self.text()?)),
            LIST | OBJECT if depth >= MAX_CONTEXT_DEPTH => return self.fail(),
            LIST => {
                let count = self.u32()?;
                // Each value takes at least one byte: a count past the end is malformed.
                if count > self.bytes.len().saturating_sub(self.at) {
                    return self.fail();
                }
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(self.value(depth.saturating_add(1))?);
                }
                Datum::List(items)
            }
            OBJECT => {
                let count = self.u32()?;
                if count > self.bytes.len().saturating_sub(self.at) / 5 {
                    return self.fail();
                }
                let mut entries = Vec::with_capacity(count);
                for _ in 0..count {
                    let key = self.text()?;
                    entries.push((Cow::Borrowed(key), self.value(depth.saturating_add(1))?));
                }
                Datum::Map(entries)
            }
            _ => {
                // The offset of the unknown tag byte, read just above (so at least 1).
                self.at = self.at.saturating_sub(1);
                return self.fail();
            }
        })
    }
}

/// Reads a context from the slot encoding (every slot of `schema`, in order).
pub fn read<'a>(schema: &Schema, bytes: &'a [u8]) -> Result<Context<'a>, ContextError> {
    let mut cursor = Cursor { bytes, at: 0 };
    let mut slots = Vec::with_capacity(schema.slot_count());
    for _ in 0..schema.slot_count() {
        slots.push(cursor.value(0)?);
    }
    if cursor.at != bytes.len() {
        return cursor.fail();
    }
    schema.finish(&mut slots)?;
    Ok(Context { slots })
}

/// Reads a sequence of values in the slot encoding, up to the end of `bytes`
/// (the small argument lists hosts pass: page facts, answers, events).
pub fn read_values(bytes: &[u8]) -> Result<Vec<Datum<'_>>, ContextError> {
    let mut cursor = Cursor { bytes, at: 0 };
    let mut values = Vec::new();
    while cursor.at < bytes.len() {
        values.push(cursor.value(0)?);
    }
    Ok(values)
}

/// Writes values in the slot encoding (native hosts and tests; JS hosts have their own
/// writer, checked against this one by the shared vectors).
pub fn write(values: &[Datum<'_>], out: &mut Vec<u8>) {
    fn one(value: &Datum<'_>, out: &mut Vec<u8>) {
        let len = |n: usize, out: &mut Vec<u8>| out.extend_from_slice(&(n as u32).to_le_bytes());
        match value {
            Datum::Null => out.push(NULL),
            Datum::Bool(false) => out.push(FALSE),
            Datum::Bool(true) => out.push(TRUE),
            Datum::Num(n) => {
                out.push(NUMBER);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Datum::Str(s) => {
                out.push(STRING);
                len(s.len(), out);
                out.extend_from_slice(s.as_bytes());
            }
            Datum::List(items) => {
                out.push(LIST);
                len(items.len(), out);
                items.iter().for_each(|item| one(item, out));
            }
            Datum::Map(entries) => {
                out.push(OBJECT);
                len(entries.len(), out);
                for (key, item) in entries {
                    len(key.len(), out);
                    out.extend_from_slice(key.as_bytes());
                    one(item, out);
                }
            }
        }
    }
    values.iter().for_each(|value| one(value, out));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(paths: &[&str]) -> Schema {
        let mut schema = Schema::default();
        for path in paths {
            schema.var(path);
        }
        schema
    }

    #[test]
    fn round_trips_every_kind_of_value() {
        let s = schema(&["page.referrer_host", "cart.items", "customer.known", "custom.x"]);
        let values = alloc::vec![
            Datum::str("gadgets.com"),
            Datum::List(alloc::vec![Datum::Map(alloc::vec![
                (Cow::Borrowed("sku"), Datum::str("A")),
                (Cow::Borrowed("price"), Datum::Num(12.5)),
            ])]),
            Datum::Bool(true),
            Datum::Null,
        ];
        let mut bytes = Vec::new();
        write(&values, &mut bytes);
        let context = read(&s, &bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(context.slots, values);
    }

    #[test]
    fn malformed_encodings_name_the_offset() {
        let s = schema(&["custom.x"]);
        assert_eq!(read(&s, &[]), Err(ContextError::Encoding { offset: 0 }));
        assert_eq!(read(&s, &[9]), Err(ContextError::Encoding { offset: 0 }));
        assert_eq!(read(&s, &[STRING, 5, 0, 0, 0, b'a']), Err(ContextError::Encoding { offset: 5 }));
        assert_eq!(read(&s, &[STRING, 1, 0, 0, 0, 0xff]), Err(ContextError::Encoding { offset: 5 }));
        assert_eq!(read(&s, &[LIST, 255, 255, 255, 255]), Err(ContextError::Encoding { offset: 5 }));
        assert_eq!(read(&s, &[NULL, NULL]), Err(ContextError::Encoding { offset: 1 }), "trailing bytes");
        let deep: Vec<u8> = (0..=MAX_CONTEXT_DEPTH).flat_map(|_| [LIST, 1, 0, 0, 0]).chain([NULL]).collect();
        assert!(matches!(read(&s, &deep), Err(ContextError::Encoding { .. })));
        // A type error is still a type error.
        let typed = schema(&["customer.known"]);
        assert!(matches!(read(&typed, &[STRING, 1, 0, 0, 0, b'x']), Err(ContextError::WrongType { .. })));
    }
}
