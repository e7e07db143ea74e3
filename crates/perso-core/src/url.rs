//! The one URL rule: which links and image addresses perso renders. A URL is safe
//! when it is an absolute `http:` / `https:` URL, or a path on the store's own site
//! (`/...`, not `//host` or `/\host`, which browsers read as another host). Anything
//! with ASCII whitespace, control characters or a backslash is refused outright: the
//! WHATWG URL parser removes tabs and newlines (`java\nscript:` is `javascript:`)
//! and reads `\` as `/`, so such text does not mean what it shows.
//!
//! The compiler refuses a bundle with another URL; renderers (the browser runtime,
//! the edge worker) ask the same function before they write an `href` or `src`.
//! `tests/vectors/urls.json` holds the cases with the WHATWG parser's reading of
//! each, replayed natively and by the JS hosts against their platform's `URL`.

pub fn safe_url(url: &str) -> bool {
    if url.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return false;
    }
    let lower_prefix = |prefix: &str| url.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
    for scheme in ["https://", "http://"] {
        if lower_prefix(scheme) {
            // Something must name a host (WHATWG skips extra slashes: `https:///x` is host x).
            return url.get(scheme.len()..).is_some_and(|rest| {
                rest.trim_start_matches('/').bytes().next().is_some_and(|b| !matches!(b, b'?' | b'#' | b'@' | b':'))
            });
        }
    }
    url.starts_with('/') && !url.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::safe_url;

    #[test]
    fn the_rule_on_awkward_values() {
        let cases: &[(&str, bool)] = &[
            ("https://gizmos.test/x", true),
            ("HTTPS://gizmos.test/", true),
            ("http://a", true),
            ("/category/audio", true),
            ("/", true),
            ("/%2F%2Fevil.test", true),
            ("//evil.test/x", false),
            ("/\\evil.test", false),
            ("\\\\evil.test", false),
            ("java\nscript:alert(1)", false),
            ("javascript:alert(1)", false),
            (" https://gizmos.test", false),
            ("https://gizmos.test/a b", false),
            ("https://", false),
            ("https:///", false),
            ("https://?x", false),
            ("data:text/html,hi", false),
            ("category/audio", false),
            ("", false),
            ("/\tx", false),
            ("ftp://x", false),
        ];
        for (url, expected) in cases {
            assert_eq!(safe_url(url), *expected, "{url:?}");
        }
    }
}
