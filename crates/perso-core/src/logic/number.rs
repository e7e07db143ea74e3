//! Numbers as JavaScript writes and reads them: `String(n)`, `Number(s)` and
//! `parseFloat(s)`, the three conversions JsonLogic's semantics rest on.
//!
//! Integers (the common case: prices in cents, counts, hours, scores) are handled
//! here exactly and without allocation. Everything else — fractions, exponents,
//! `"0x1f"`, `" 12.5 "` — goes to a [`NumberText`]: natively (feature
//! `native-numbers`) Rust's own float parser and shortest round-trip printer; in the
//! WebAssembly package, the JavaScript host's `Number`, `parseFloat` and `String`,
//! installed once at start-up ([`install`]). That keeps the float tables (about
//! 20 KB) out of the wasm, and makes the browser and edge engines agree with
//! json-logic-js by construction. The native functions are checked against
//! JavaScript by the differential test.

use alloc::string::String;
use once_cell::race::OnceRef;

/// The host's non-integer conversions.
pub struct NumberText {
    /// JavaScript `Number(text)` (`ToNumber` of a string).
    pub to_number: fn(&str) -> f64,
    /// JavaScript `parseFloat(text)`.
    pub parse_float: fn(&str) -> f64,
    /// Appends JavaScript `String(n)` for a finite, non-integer or large `n`.
    pub write: fn(f64, &mut String),
}

static HOST: OnceRef<'static, NumberText> = OnceRef::new();

/// Installs the host's conversions (the first call wins; later calls are ignored).
pub fn install(host: &'static NumberText) {
    let _ = HOST.set(host);
}

fn host() -> &'static NumberText {
    match HOST.get() {
        Some(host) => host,
        None => &DEFAULT,
    }
}

#[cfg(feature = "native-numbers")]
static DEFAULT: NumberText =
    NumberText { to_number: native::to_number, parse_float: native::parse_float, write: native::write };

/// Without native conversions and before a host installed its own, non-integer
/// text reads as NaN and prints as "NaN"; the wasm package installs the JavaScript
/// ones before anything runs (and a test checks it did).
#[cfg(not(feature = "native-numbers"))]
static DEFAULT: NumberText =
    NumberText { to_number: |_| f64::NAN, parse_float: |_| f64::NAN, write: |_, out| out.push_str("NaN") };

/// Largest integer every f64 above it still represents exactly (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// A plain decimal integer (`-?[0-9]{1,15}`), exactly; `None` for anything else.
fn simple_integer(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // At most 15 digits, far below u64::MAX: the checks never fail.
    let value =
        digits.bytes().try_fold(0u64, |acc, b| acc.checked_mul(10)?.checked_add(u64::from(b.checked_sub(b'0')?)))?;
    let value = value as f64;
    Some(if negative { -value } else { value })
}

/// JavaScript `Number(text)`.
pub fn to_number(text: &str) -> f64 {
    let trimmed = text.trim_matches(is_js_whitespace);
    if trimmed.is_empty() {
        return 0.0;
    }
    match simple_integer(trimmed) {
        Some(n) => n,
        None => (host().to_number)(text),
    }
}

/// JavaScript `parseFloat(text)`: the longest numeric prefix.
pub fn parse_float(text: &str) -> f64 {
    match simple_integer(text.trim_start_matches(is_js_whitespace)) {
        Some(n) => n,
        None => (host().parse_float)(text),
    }
}

/// Appends JavaScript `String(n)`.
pub fn write(n: f64, out: &mut String) {
    if n.is_nan() {
        out.push_str("NaN");
    } else if n.is_infinite() {
        out.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
    } else if n == 0.0 {
        out.push('0');
    } else if libm::trunc(n) == n && n.abs() < EXACT {
        // Below 2^53: at most 16 digits, written from the end.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = n.abs() as u64;
        for (at, d) in digits.iter_mut().enumerate().rev() {
            if rest == 0 {
                break;
            }
            // A digit (< 10) has no bit in common with b'0' (0x30): `|` is the addition.
            *d = b'0' | (rest % 10) as u8;
            rest /= 10;
            start = at;
        }
        if n < 0.0 {
            out.push('-');
        }
        for d in digits.get(start..).unwrap_or(&[]) {
            out.push(char::from(*d));
        }
    } else {
        (host().write)(n, out);
    }
}

/// JavaScript `String(n)` as a new string.
pub fn to_string(n: f64) -> String {
    let mut out = String::new();
    write(n, &mut out);
    out
}

/// What `String.prototype.trim` removes (ECMAScript WhiteSpace and LineTerminator).
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

#[cfg(feature = "native-numbers")]
mod native {
    use super::is_js_whitespace;
    use alloc::string::String;

    /// `StringToNumber`: decimal literals (with exponent), `Infinity`, and the
    /// `0x` / `0o` / `0b` integer forms; anything else is NaN.
    pub fn to_number(text: &str) -> f64 {
        let t = text.trim_matches(is_js_whitespace);
        if t.is_empty() {
            return 0.0;
        }
        match t {
            "Infinity" | "+Infinity" => return f64::INFINITY,
            "-Infinity" => return f64::NEG_INFINITY,
            _ => {}
        }
        for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
            if let Some(digits) = t.strip_prefix(prefix) {
                if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                    return f64::NAN;
                }
                return digits
                    .chars()
                    .fold(0.0, |acc, c| acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0)));
            }
        }
        // Rust also accepts "inf", "nan" and "infinity", which JavaScript does not;
        // JavaScript accepts "1." and ".5", which Rust does too.
        if !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
            return f64::NAN;
        }
        t.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// `parseFloat`: the longest prefix that is a decimal literal (or Infinity).
    pub fn parse_float(text: &str) -> f64 {
        let t = text.trim_start_matches(is_js_whitespace);
        for (prefix, value) in
            [("Infinity", f64::INFINITY), ("+Infinity", f64::INFINITY), ("-Infinity", f64::NEG_INFINITY)]
        {
            if t.starts_with(prefix) {
                return value;
            }
        }
        let bytes = t.as_bytes();
        let mut end = bytes.len();
        let mut previous = None;
        let mut seen_digit = false;
        let mut seen_dot = false;
        let mut seen_exp = false;
        for (at, &b) in bytes.iter().enumerate() {
            match b {
                b'0'..=b'9' => seen_digit = true,
                b'+' | b'-' if matches!(previous, None | Some(b'e' | b'E')) => {}
                b'.' if !seen_dot && !seen_exp => seen_dot = true,
                b'e' | b'E' if seen_digit && !seen_exp => seen_exp = true,
                _ => {
                    end = at;
                    break;
                }
            }
            previous = Some(b);
        }
        // Back off an incomplete exponent ("1e", "1e+"); the prefix is ASCII.
        (1..=end).rev().find_map(|len| t.get(..len)?.parse::<f64>().ok()).unwrap_or(f64::NAN)
    }

    /// `Number::toString` for what [`super::write`] does not handle itself: Rust's
    /// shortest round-trip digits (`{:e}`), laid out as ECMAScript does (plain
    /// between 1e-7 and 1e21, else `d.ddde±x`).
    pub fn write(n: f64, out: &mut String) {
        let scientific = alloc::format!("{:e}", n.abs());
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        // n = 0.digits × 10^point
        // `{:e}` of an f64 has an exponent within ±324: none of this saturates.
        let point = exponent.saturating_add(1);
        let k = digits.len() as i32;
        if n < 0.0 {
            out.push('-');
        }
        if k <= point && point <= 21 {
            out.push_str(digits);
            (0..point.saturating_sub(k)).for_each(|_| out.push('0'));
        } else if 0 < point && point <= 21 {
            let (int, frac) = digits.split_at(point as usize);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else if -6 < point && point <= 0 {
            out.push_str("0.");
            (0..point.saturating_neg()).for_each(|_| out.push('0'));
            out.push_str(digits);
        } else {
            let e = point.saturating_sub(1);
            let (first, rest) = digits.split_at(1);
            out.push_str(first);
            if !rest.is_empty() {
                out.push('.');
                out.push_str(rest);
            }
            out.push('e');
            out.push(if e >= 0 { '+' } else { '-' });
            out.push_str(&alloc::format!("{}", e.abs()));
        }
    }
}

#[cfg(all(test, feature = "native-numbers"))]
mod tests {
    use super::*;

    #[test]
    fn strings_to_numbers_as_javascript() {
        let cases: &[(&str, f64)] = &[
            ("42", 42.0),
            (" 42 ", 42.0),
            ("", 0.0),
            ("  ", 0.0),
            ("-7", -7.0),
            ("+7", 7.0),
            ("2.5", 2.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("0x1f", 31.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("1234567890123456789", 1_234_567_890_123_456_789.0),
        ];
        for (text, expected) in cases {
            assert_eq!(to_number(text), *expected, "Number({text:?})");
        }
        for text in ["inf", "nan", "infinity", "1_000", "0x", "-0x10", "12abc", "1e", "e5"] {
            assert!(to_number(text).is_nan(), "Number({text:?}) is NaN");
        }
        assert_eq!(parse_float("2.5abc"), 2.5);
        assert_eq!(parse_float("1e3x"), 1000.0);
        assert_eq!(parse_float("1e"), 1.0);
        assert_eq!(parse_float("  -3px"), -3.0);
        assert!(parse_float("x1").is_nan());
    }

    #[test]
    fn numbers_to_strings_as_javascript() {
        let cases: &[(f64, &str)] = &[
            (3.0, "3"),
            (-0.5, "-0.5"),
            (2.75, "2.75"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (1e-6, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"),
            (9_007_199_254_740_993.0, "9007199254740992"),
            (-1e300, "-1e+300"),
            (f64::NAN, "NaN"),
            (-0.0, "0"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (n, expected) in cases {
            assert_eq!(to_string(*n), *expected, "String({n:e})");
        }
    }
}
