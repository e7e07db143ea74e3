//! The context's `page` from page facts, natively (tests/vectors/page-context.json, also
//! replayed by the Node kit, by the edge worker in workerd and by the browser runtime in
//! Chromium): the URLs split by the WHATWG parser as the JS hosts split them, then
//! perso_core::page::normalize with the bundle's page-type table.

use perso_core::page::{normalize, PageFacts, UrlParts};
use perso_core::Engine;
use serde_json::{json, Value};
use std::path::PathBuf;

const ORIGIN: &str = "https://shop.example";

fn read(path: &str) -> Vec<u8> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read(repo.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Parts {
    protocol: String,
    hostname: String,
    origin: String,
    pathname: String,
    search: String,
}

/// `url.protocol`, `.hostname`, `.origin`, `.pathname`, `.search` as a JS `URL` gives them.
fn parts(text: &str) -> Option<Parts> {
    let url = url::Url::parse(text).ok()?;
    Some(Parts {
        protocol: format!("{}:", url.scheme()),
        hostname: url.host_str().unwrap_or("").to_owned(),
        origin: url.origin().ascii_serialization(),
        pathname: url.path().to_owned(),
        search: url.query().map(|q| format!("?{q}")).unwrap_or_default(),
    })
}

fn view(p: &Parts) -> UrlParts<'_> {
    UrlParts {
        protocol: &p.protocol,
        hostname: &p.hostname,
        origin: &p.origin,
        pathname: &p.pathname,
        search: &p.search,
    }
}

/// `page` as the JS hosts write it (the kit's field names; absent fields left out).
fn page_json(page: &perso_core::page::PageContext) -> Value {
    let mut out = json!({ "url": page.url, "path": page.path, "type": page.page_type });
    if let Some(referrer) = &page.referrer {
        out["referrer"] = json!(referrer);
    }
    if let Some(host) = &page.referrer_host {
        out["referrer_host"] = json!(host);
    }
    out["utm"] = serde_json::to_value(&page.utm).unwrap();
    out
}

#[test]
fn every_page_context_vector_natively() {
    let vectors: Value = serde_json::from_slice(&read("tests/vectors/page-context.json")).unwrap();
    let bundle = read(vectors["bundle"].as_str().unwrap());
    let engine = Engine::from_bundle(&bundle).unwrap();
    let at = |v: &Value| -> Value { serde_json::from_str(&v.to_string().replace("{origin}", ORIGIN)).unwrap() };
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let url = parts(&format!("{ORIGIN}{}", case["path"].as_str().unwrap())).unwrap();
        let referrer = case["referrer"].as_str().map(|r| r.replace("{origin}", ORIGIN)).and_then(|r| parts(&r));
        let facts = PageFacts {
            url: view(&url),
            referrer: referrer.as_ref().map(view),
            declared_type: None,
            mobile_hint: None,
            user_agent: vectors["user_agent"].as_str(),
            coarse_pointer: None,
            screen_short_side: None,
            language: Some("en-GB"),
        };
        let page = normalize(&facts, &engine.program().page_types);
        assert_eq!(page_json(&page), at(&case["page"]), "{name}");
    }
}
