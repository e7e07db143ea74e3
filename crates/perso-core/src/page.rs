//! Page facts, normalized once for every host: what `page.*` and `device.*` are,
//! from what the host's platform says about the page (the browser: `location`,
//! `document.referrer`, `navigator`; the edge worker: the request's URL and headers;
//! a native checkout: its own request). Hosts split URLs with their platform's WHATWG
//! URL parser and hand over the parts ([`PageFacts`]); every rule after that — page
//! type, UTM, referrer, device type, language — is here, so the browser, the edge
//! and native hosts agree by construction. `tests/vectors/context.json` holds
//! `{url, referrer, attributes / headers} → context` cases every host replays.

use crate::limits::{MAX_REFERRER_TEXT, MAX_UTM_TEXT};
use crate::program::{PageMatch, PageTypeRule};
use crate::state::{PageView, Utm};
use alloc::borrow::ToOwned;
use alloc::string::String;

/// The UTM parameters perso reads, in context order.
pub const UTM_FIELDS: [&str; 5] = ["source", "medium", "campaign", "term", "content"];

/// A URL as the platform's WHATWG parser split it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UrlParts<'a> {
    /// `protocol` with its colon, e.g. `https:`.
    pub protocol: &'a str,
    pub hostname: &'a str,
    pub origin: &'a str,
    pub pathname: &'a str,
    /// `search`, with its `?` (or empty).
    pub search: &'a str,
}

/// What a host knows about the page.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PageFacts<'a> {
    pub url: UrlParts<'a>,
    /// The referrer, if there is one and it parsed as a URL.
    pub referrer: Option<UrlParts<'a>>,
    /// A page type the page declares itself (`data-perso-page-type`).
    pub declared_type: Option<&'a str>,
    /// `navigator.userAgentData.mobile`, or `Sec-CH-UA-Mobile` (`?1` true, `?0` false).
    pub mobile_hint: Option<bool>,
    /// `User-Agent` (the header, or `navigator.userAgent`).
    pub user_agent: Option<&'a str>,
    /// The browser's `(pointer: coarse)` and the screen's short side in CSS pixels.
    pub coarse_pointer: Option<bool>,
    pub screen_short_side: Option<u32>,
    /// `navigator.language`, or the `Accept-Language` header.
    pub language: Option<&'a str>,
}

/// `page.*` and `device.*` as the engine's context has them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageContext {
    /// Origin and path, never the query (it may carry personal data).
    pub url: String,
    pub path: String,
    pub page_type: String,
    /// The referrer's origin and path (no query), http(s) only.
    pub referrer: Option<String>,
    /// The referrer's host, unless it is the store's own.
    pub referrer_host: Option<String>,
    pub utm: Utm,
    pub device_type: Option<&'static str>,
    pub language: Option<String>,
}

impl PageContext {
    /// What a page view records: the entry referrer and UTM.
    pub fn page_view(&self) -> PageView {
        PageView { referrer_host: self.referrer_host.clone(), utm: self.utm.clone() }
    }
}

fn cut(text: &str, max: usize) -> String {
    text.get(..crate::util::floor_char_boundary(text, max)).unwrap_or("").to_owned()
}

/// `page.type`: the page's own declaration, else the first rule that matches (an
/// exact path, or the path's first segment), else `other`.
pub fn page_type(path: &str, declared: Option<&str>, rules: &[PageTypeRule]) -> String {
    if let Some(declared) = declared.map(str::trim).filter(|d| !d.is_empty()) {
        return cut(declared, 64);
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    for rule in rules {
        let hit = match &rule.matcher {
            PageMatch::Path(p) => **p == *path,
            PageMatch::Segment(s) => **s == *first && !first.is_empty(),
        };
        if hit {
            return String::from(&*rule.page_type);
        }
    }
    "other".to_owned()
}

/// `utm_*` parameters of a query string, as `URLSearchParams.get` reads them (the
/// first of each), empty ones dropped, each cut to [`MAX_UTM_TEXT`] bytes.
pub fn utm(search: &str) -> Utm {
    let mut utm = Utm::default();
    let query = search.strip_prefix('?').unwrap_or(search);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(field) = key.strip_prefix("utm_") else { continue };
        if value.is_empty() {
            continue;
        }
        let slot = match field {
            "source" => &mut utm.source,
            "medium" => &mut utm.medium,
            "campaign" => &mut utm.campaign,
            "term" => &mut utm.term,
            "content" => &mut utm.content,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(cut(&value, MAX_UTM_TEXT));
        }
    }
    utm
}

fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

/// `device.type`: tablets first (Android tablets omit "Mobile"; iPads say "iPad"),
/// then the mobile hint, then the browser's pointer and screen, then the User-Agent.
pub fn device_type(facts: &PageFacts<'_>) -> Option<&'static str> {
    let ua = facts.user_agent.unwrap_or("");
    let lower = ua.to_ascii_lowercase();
    let tablet = ["ipad", "tablet", "playbook", "silk", "kindle"].iter().any(|t| lower.contains(t))
        || (lower.contains("android") && !lower.contains("mobile"));
    if tablet {
        return Some("tablet");
    }
    if facts.mobile_hint == Some(true) {
        return Some("mobile");
    }
    if facts.coarse_pointer == Some(true) {
        return Some(if facts.screen_short_side.is_some_and(|side| side >= 600) { "tablet" } else { "mobile" });
    }
    if !ua.is_empty() {
        let mobile = ["mobi", "iphone", "ipod", "android", "windows phone", "blackberry", "opera mini"]
            .iter()
            .any(|m| contains_ignoring_case(ua, m));
        return Some(if mobile { "mobile" } else { "desktop" });
    }
    match facts.mobile_hint {
        Some(false) => Some("desktop"),
        _ => facts.coarse_pointer.map(|_| "desktop"),
    }
}

/// `device.language`: the first tag of a language list (`en-US,en;q=0.9` → `en-US`),
/// if it is a well-formed BCP 47-style tag.
pub fn language(list: &str) -> Option<String> {
    let tag = list.split(',').next()?.split(';').next()?.trim();
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    let primary_ok = (1..=8).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    (primary_ok && rest_ok).then(|| tag.to_owned())
}

/// The page's context from its facts.
pub fn normalize(facts: &PageFacts<'_>, rules: &[PageTypeRule]) -> PageContext {
    let url = &facts.url;
    let own_host = url.hostname.to_ascii_lowercase();
    let web = |r: &&UrlParts<'_>| r.protocol.eq_ignore_ascii_case("http:") || r.protocol.eq_ignore_ascii_case("https:");
    let referrer = facts.referrer.as_ref().filter(web);
    let mut page_url = String::with_capacity(url.origin.len().saturating_add(url.pathname.len()));
    page_url.push_str(url.origin);
    page_url.push_str(url.pathname);
    PageContext {
        url: cut(&page_url, MAX_REFERRER_TEXT),
        path: cut(url.pathname, MAX_REFERRER_TEXT),
        page_type: page_type(url.pathname, facts.declared_type, rules),
        referrer: referrer.map(|r| {
            let mut text = String::from(r.origin);
            text.push_str(r.pathname);
            cut(&text, MAX_REFERRER_TEXT)
        }),
        referrer_host: referrer
            .map(|r| r.hostname.to_ascii_lowercase())
            .filter(|host| !host.is_empty() && *host != own_host)
            .map(|host| cut(&host, MAX_UTM_TEXT)),
        utm: utm(url.search),
        device_type: device_type(facts),
        language: facts.language.and_then(language),
    }
}
