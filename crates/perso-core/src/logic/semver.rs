//! flagd's `sem_ver` operator: compares two versions with `=`, `!=`, `<`, `<=`, `>`,
//! `>=`, `^` (same major) and `~` (same major and minor). Like flagd it accepts a
//! `v`/`V` prefix and partial versions (`1.2` is `1.2.0`), and orders pre-releases per
//! SemVer 2.0. Anything unparsable yields `None` (JsonLogic `null`).

use alloc::vec::Vec;
use core::cmp::Ordering;

#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    core: [u64; 3],
    pre: Vec<&'a str>,
}

fn parse(text: &str) -> Option<Version<'_>> {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let without_build = text.split('+').next().unwrap_or(text);
    let (core_text, pre_text) = match without_build.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (without_build, None),
    };
    let mut core = [0u64; 3];
    let parts: Vec<&str> = core_text.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for (slot, part) in core.iter_mut().zip(&parts) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    let pre = match pre_text {
        Some(pre) => {
            let ids: Vec<&str> = pre.split('.').collect();
            if ids.iter().any(|id| id.is_empty()) {
                return None;
            }
            ids
        }
        None => Vec::new(),
    };
    Some(Version { core, pre })
}

fn cmp_pre(a: &[&str], b: &[&str]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let ordering = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a.len().cmp(&b.len())
}

fn cmp(a: &Version<'_>, b: &Version<'_>) -> Ordering {
    a.core.cmp(&b.core).then_with(|| cmp_pre(&a.pre, &b.pre))
}

pub fn compare(left: &str, operator: &str, right: &str) -> Option<bool> {
    let (a, b) = (parse(left)?, parse(right)?);
    let ordering = cmp(&a, &b);
    Some(match operator {
        "=" => ordering == Ordering::Equal,
        "!=" => ordering != Ordering::Equal,
        "<" => ordering == Ordering::Less,
        "<=" => ordering != Ordering::Greater,
        ">" => ordering == Ordering::Greater,
        ">=" => ordering != Ordering::Less,
        "^" => a.core[0] == b.core[0],
        "~" => a.core[0] == b.core[0] && a.core[1] == b.core[1],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn table() {
        let cases = [
            ("1.0.0-alpha", "<", "1.0.0-alpha.1", Some(true)),
            ("1.0.0-alpha.1", "<", "1.0.0-alpha.beta", Some(true)),
            ("1.0.0-beta.11", ">", "1.0.0-beta.2", Some(true)),
            ("1.0.0-rc.1", "<", "1.0.0", Some(true)),
            ("v2", "=", "2.0.0", Some(true)),
            ("1.2.3+build", "=", "1.2.3", Some(true)),
            ("1.x", "=", "1.0.0", None),
            ("1.0.0", "<>", "1.0.0", None),
        ];
        for (a, op, b, expected) in cases {
            assert_eq!(compare(a, op, b), expected, "{a} {op} {b}");
        }
    }
}
