//! The data a condition reads and returns, and JsonLogic's value semantics.
//!
//! JsonLogic is defined by its reference implementation, json-logic-js, so truthiness,
//! loose equality, ordering and number/string coercions follow JavaScript's rules
//! (ECMAScript `==`, `<`, `ToNumber`, `String()`), restricted to JSON values. Strings
//! borrow from the input where they can (`Cow`), so reading a context and evaluating a
//! condition allocate no strings on the hot path.

use super::number;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// A JSON value as conditions see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Datum<'a> {
    #[default]
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    List(Vec<Datum<'a>>),
    /// An object; keys in source order. Objects in contexts are small, so a linear
    /// scan beats hashing.
    Map(Vec<(Cow<'a, str>, Datum<'a>)>),
}

/// What evaluating an expression yields: borrowed from the context or the program
/// where possible, owned when computed.
pub type Val<'a> = Cow<'a, Datum<'a>>;

pub(crate) const NULL: Datum<'static> = Datum::Null;

impl<'a> Datum<'a> {
    pub fn str(s: &'a str) -> Datum<'a> {
        Datum::Str(Cow::Borrowed(s))
    }

    /// Member of an object by key, or element of a list by decimal index.
    pub fn get(&self, key: &str) -> Option<&Datum<'a>> {
        match self {
            Datum::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Datum::List(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Datum::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Datum::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// JsonLogic truthiness: `[]` is false (unlike JavaScript), as are `0`, `NaN`,
    /// `""`, `null` and `false`.
    pub fn truthy(&self) -> bool {
        match self {
            Datum::Null => false,
            Datum::Bool(b) => *b,
            Datum::Num(n) => *n != 0.0 && !n.is_nan(),
            Datum::Str(s) => !s.is_empty(),
            Datum::List(items) => !items.is_empty(),
            Datum::Map(_) => true,
        }
    }

    /// Copies everything borrowed, so the value can outlive its source.
    pub fn into_static(self) -> Datum<'static> {
        match self {
            Datum::Null => Datum::Null,
            Datum::Bool(b) => Datum::Bool(b),
            Datum::Num(n) => Datum::Num(n),
            Datum::Str(s) => Datum::Str(Cow::Owned(s.into_owned())),
            Datum::List(items) => Datum::List(items.into_iter().map(Datum::into_static).collect()),
            Datum::Map(entries) => {
                Datum::Map(entries.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_static())).collect())
            }
        }
    }

    #[cfg(feature = "json")]
    pub fn from_json(value: &'a serde_json::Value) -> Datum<'a> {
        use serde_json::Value;
        match value {
            Value::Null => Datum::Null,
            Value::Bool(b) => Datum::Bool(*b),
            Value::Number(n) => Datum::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Datum::Str(Cow::Borrowed(s)),
            Value::Array(items) => Datum::List(items.iter().map(Datum::from_json).collect()),
            Value::Object(map) => {
                Datum::Map(map.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Datum::from_json(v))).collect())
            }
        }
    }

    #[cfg(feature = "json")]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Datum::Null => Value::Null,
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Num(n) => number_to_json(*n),
            Datum::Str(s) => Value::String(s.to_string()),
            Datum::List(items) => Value::Array(items.iter().map(Datum::to_json).collect()),
            Datum::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect()),
        }
    }
}

/// Whole numbers come back as JSON integers (`3`, not `3.0`), as in JavaScript.
#[cfg(feature = "json")]
fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
    }
}

/// JavaScript `Number.prototype.toString()`.
pub fn js_number_string(n: f64) -> String {
    number::to_string(n)
}

/// JavaScript `String(value)`.
pub fn to_js_string<'b>(value: &'b Datum<'_>) -> Cow<'b, str> {
    match value {
        Datum::Null => Cow::Borrowed("null"),
        Datum::Bool(true) => Cow::Borrowed("true"),
        Datum::Bool(false) => Cow::Borrowed("false"),
        Datum::Num(n) => Cow::Owned(js_number_string(*n)),
        Datum::Str(s) => Cow::Borrowed(s),
        Datum::List(items) => {
            let parts: Vec<Cow<'_, str>> =
                items.iter().map(|item| if item.is_null() { Cow::Borrowed("") } else { to_js_string(item) }).collect();
            Cow::Owned(parts.join(","))
        }
        Datum::Map(_) => Cow::Borrowed("[object Object]"),
    }
}

/// JavaScript `ToNumber(value)`.
pub fn to_number(value: &Datum<'_>) -> f64 {
    match value {
        Datum::Null => 0.0,
        Datum::Bool(b) => f64::from(u8::from(*b)),
        Datum::Num(n) => *n,
        Datum::Str(s) => string_to_number(s),
        Datum::List(_) => string_to_number(&to_js_string(value)),
        Datum::Map(_) => f64::NAN,
    }
}

fn string_to_number(s: &str) -> f64 {
    number::to_number(s)
}

/// JavaScript `parseFloat(String(value))`: the longest numeric prefix.
pub fn parse_float(value: &Datum<'_>) -> f64 {
    if let Datum::Num(n) = value {
        return *n;
    }
    number::parse_float(&to_js_string(value))
}

/// JavaScript `ToPrimitive`: lists and objects become strings, the rest stay.
fn to_primitive<'b>(value: &'b Datum<'b>) -> Cow<'b, Datum<'b>> {
    match value {
        Datum::List(_) | Datum::Map(_) => Cow::Owned(Datum::Str(Cow::Owned(to_js_string(value).into_owned()))),
        _ => Cow::Borrowed(value),
    }
}

/// JavaScript `===`. Lists and objects are never equal (they would be by identity).
pub fn strict_equals(a: &Datum<'_>, b: &Datum<'_>) -> bool {
    match (a, b) {
        (Datum::Null, Datum::Null) => true,
        (Datum::Bool(x), Datum::Bool(y)) => x == y,
        (Datum::Num(x), Datum::Num(y)) => x == y,
        (Datum::Str(x), Datum::Str(y)) => x == y,
        _ => false,
    }
}

/// JavaScript `==` (abstract equality).
pub fn loose_equals(a: &Datum<'_>, b: &Datum<'_>) -> bool {
    match (a, b) {
        (Datum::Null, Datum::Null) => true,
        (Datum::Null, _) | (_, Datum::Null) => false,
        (Datum::Bool(_), _) => loose_equals(&Datum::Num(to_number(a)), b),
        (_, Datum::Bool(_)) => loose_equals(a, &Datum::Num(to_number(b))),
        (Datum::Num(x), Datum::Num(y)) => x == y,
        (Datum::Str(x), Datum::Str(y)) => x == y,
        (Datum::Num(x), Datum::Str(_)) => *x == to_number(b),
        (Datum::Str(_), Datum::Num(y)) => to_number(a) == *y,
        (Datum::List(_) | Datum::Map(_), Datum::List(_) | Datum::Map(_)) => false,
        (Datum::List(_) | Datum::Map(_), _) => loose_equals(&to_primitive(a), b),
        (_, Datum::List(_) | Datum::Map(_)) => loose_equals(a, &to_primitive(b)),
    }
}

/// JavaScript's abstract relational comparison (`<`, `>`...): two strings compare
/// as strings, anything else as numbers; `None` when a NaN makes it undefined.
pub fn compare(a: &Datum<'_>, b: &Datum<'_>) -> Option<Ordering> {
    if let (Datum::Num(x), Datum::Num(y)) = (a, b) {
        return x.partial_cmp(y);
    }
    let (pa, pb) = (to_primitive(a), to_primitive(b));
    match (&*pa, &*pb) {
        (Datum::Str(x), Datum::Str(y)) => Some(utf16_cmp(x, y)),
        (x, y) => to_number(x).partial_cmp(&to_number(y)),
    }
}

/// JavaScript orders strings by UTF-16 code units, which differs from byte order
/// only for characters beyond the Basic Multilingual Plane.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Datum<'_> {
        Datum::str(text)
    }

    #[test]
    fn loose_equality_follows_javascript() {
        let cases: &[(Datum, Datum, bool)] = &[
            (Datum::Num(1.0), s("1"), true),
            (Datum::Num(0.0), s(""), true),
            (Datum::Bool(true), Datum::Num(1.0), true),
            (Datum::Bool(true), s("1"), true),
            (Datum::Null, Datum::Num(0.0), false),
            (Datum::Null, Datum::Null, true),
            (s("abc"), s("abc"), true),
            (Datum::List(vec![Datum::Num(1.0)]), Datum::Num(1.0), true),
            (Datum::Num(f64::NAN), Datum::Num(f64::NAN), false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(loose_equals(a, b), *expected, "{a:?} == {b:?}");
        }
    }

    #[test]
    fn ordering_and_coercions() {
        assert_eq!(compare(&s("11"), &Datum::Num(2.0)), Some(Ordering::Greater));
        assert_eq!(compare(&s("11"), &s("2")), Some(Ordering::Less));
        assert_eq!(compare(&s("abc"), &Datum::Num(2.0)), None);
        assert_eq!(to_number(&s(" 42 ")), 42.0);
        assert!(to_number(&s("inf")).is_nan());
        assert_eq!(parse_float(&s("2.5abc")), 2.5);
        assert_eq!(parse_float(&s("1e3x")), 1000.0);
        assert_eq!(parse_float(&s("1e")), 1.0);
        assert!(parse_float(&s("x1")).is_nan());
        assert_eq!(js_number_string(3.0), "3");
        assert_eq!(js_number_string(-0.5), "-0.5");
        assert_eq!(js_number_string(2.75), "2.75");
        assert_eq!(js_number_string(1e21), "1e+21");
        assert_eq!(js_number_string(1.5e-7), "1.5e-7");
        assert_eq!(to_js_string(&Datum::List(vec![Datum::Num(1.0), Datum::Null, s("a")])), "1,,a");
    }

    #[test]
    fn truthiness_matches_jsonlogic() {
        assert!(!Datum::List(vec![]).truthy());
        assert!(s("0").truthy());
        assert!(!Datum::Num(0.0).truthy());
        assert!(!s("").truthy());
        assert!(Datum::Map(vec![]).truthy());
    }
}
