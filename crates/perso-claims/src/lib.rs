//! Sealed offers: nothing in the public bundle or on the device can mint a discount.
//!
//! An offer a shopper is shown is a *claim*, not an entitlement. On the shopper's
//! "Claim" click, the store's claim endpoint [`issue_claim`]s a signed token (JWS,
//! EdDSA/Ed25519: [`jws`]) carrying the campaign, its terms, an expiry, a nonce, the
//! bundle serial and the facts it rests on with who vouched for each ([`tokens`]);
//! the store's checkout [`verify_claim`]s it: signature (key id, two keys during a
//! rotation), expiry, the campaign and its terms in the bundle it runs, and then the
//! eligibility re-checked **with the same engine** ([`perso_core::Engine::explain_offer`])
//! against the facts its server knows — its own cart and its own customer records —
//! plus the vouched facts the claim carries. Single use is the store's ledger: the
//! checkout records the claim's `jti` in the same transaction as the order.
//!
//! Facts a server cannot know are vouched for by a party that observed them
//! ([`perso_core::provenance`]): the edge worker (a voucher of the landing request's
//! `Referer`) or a landing link the store signed for an affiliate; never the browser.
//!
//! Native only (checkouts, the CLI, servers); the JS twin for Node checkouts is
//! `js/server/claims.mjs`, and `tests/vectors/claims.json` runs on both.

pub mod error;
pub mod jws;
pub mod tokens;

pub use error::ClaimError;
pub use tokens::{display_code, jti_of_display, new_jti, By, ClaimPayload, Fact, LinkPayload, Terms, VoucherPayload};

use ed25519_dalek::SigningKey;
use perso_core::host::{HostAction, HostCampaign};
use perso_core::provenance::{provenance, Provenance, Voucher};
use perso_core::signature::TrustedKey;
use perso_core::state::Utm;
use perso_core::vocab::Redeem;
use perso_core::{Engine, PageView, VisitorState};
use serde::de::DeserializeOwned;
use tokens::{CLAIM_TYP, LINK_TYP, VOUCHER_TYP};

/// A claim lives as long as its offer's `expires_in_s`, this long without one.
pub const DEFAULT_CLAIM_TTL_S: i64 = 86_400;
/// At most this long, whatever the offer says.
pub const MAX_CLAIM_TTL_S: i64 = 30 * 86_400;
/// Clocks may disagree this much about `iat`.
pub const CLOCK_SKEW_S: i64 = 300;

/// What the shopper's browser sends to the claim endpoint: the campaign, and at most
/// the landing link it kept and the edge's voucher. Nothing else about the visitor.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimRequest<'a> {
    pub campaign: &'a str,
    pub voucher: Option<&'a str>,
    pub link: Option<&'a str>,
}

/// The claim endpoint's keys: its own signing key, and whom it believes.
pub struct Issuer<'a> {
    pub kid: &'a str,
    pub key: &'a SigningKey,
    /// The edge workers' voucher keys.
    pub edge_keys: &'a [TrustedKey],
    /// The store's landing-link keys (`perso sign-link`).
    pub link_keys: &'a [TrustedKey],
    /// This store's host: vouchers and links naming another one are refused.
    pub audience: Option<&'a str>,
}

/// An issued claim: the token, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    pub token: String,
    pub claim: ClaimPayload,
}

impl Issued {
    /// What the shopper sees and may type at checkout.
    pub fn display_code(&self) -> String {
        display_code(&self.claim.jti)
    }
}

/// What the checkout knows itself: the customer from its records (`customer.*`, e.g.
/// `{"known": true, "ltv_band": "high", "orders": 12}`) and the cart as its server
/// prices it (`cart.*`). `Null` for what it does not know.
#[derive(Debug, Clone, Default)]
pub struct ServerFacts {
    pub customer: serde_json::Value,
    pub cart: serde_json::Value,
}

/// A claim the checkout may apply (after recording its `jti` in its ledger).
#[derive(Debug, Clone, PartialEq)]
pub struct Granted {
    pub claim: ClaimPayload,
    /// The key it was signed with.
    pub kid: String,
}

fn payload<T: DeserializeOwned>(bytes: &[u8], field: &'static str) -> Result<T, ClaimError> {
    serde_json::from_slice(bytes).map_err(|_| ClaimError::Field { field })
}

fn in_time(iat: i64, exp: i64, now_s: i64) -> Result<(), ClaimError> {
    if now_s >= exp {
        return Err(ClaimError::Expired { exp, now: now_s });
    }
    if iat > now_s.saturating_add(CLOCK_SKEW_S) {
        return Err(ClaimError::NotYetValid { iat, now: now_s });
    }
    Ok(())
}

/// The campaign's action (or a variant's) that is redeemed by a claim.
fn claimable<'e>(engine: &'e Engine, campaign: &str) -> Result<(&'e HostCampaign, Vec<&'e HostAction>), ClaimError> {
    let host = engine
        .host()
        .campaigns
        .iter()
        .find(|c| c.id == campaign)
        .ok_or_else(|| ClaimError::UnknownCampaign { campaign: campaign.to_owned() })?;
    let actions: Vec<&HostAction> = std::iter::once(&host.action)
        .chain(host.variants.iter().filter_map(|v| v.action.as_ref()))
        .filter(|a| a.redeem() == Some(Redeem::Claim) && a.terms().is_some())
        .collect();
    if actions.is_empty() {
        return Err(ClaimError::NotClaimable { campaign: campaign.to_owned() });
    }
    Ok((host, actions))
}

fn verify_voucher(
    token: &str,
    keys: &[TrustedKey],
    audience: Option<&str>,
    now_s: i64,
) -> Result<VoucherPayload, ClaimError> {
    let wrap = |error| ClaimError::Voucher { which: "edge voucher", error: Box::new(error) };
    let verified = jws::verify(token, VOUCHER_TYP, keys).map_err(wrap)?;
    let voucher: VoucherPayload = payload(&verified.payload, "voucher").map_err(wrap)?;
    in_time(voucher.iat, voucher.exp, now_s).map_err(wrap)?;
    if audience.is_some() && voucher.aud.as_deref() != audience {
        return Err(wrap(ClaimError::Field { field: "voucher's aud (another store's)" }));
    }
    Ok(voucher)
}

fn verify_link(
    token: &str,
    keys: &[TrustedKey],
    audience: Option<&str>,
    now_s: i64,
) -> Result<LinkPayload, ClaimError> {
    let wrap = |error| ClaimError::Voucher { which: "landing link", error: Box::new(error) };
    let verified = jws::verify(token, LINK_TYP, keys).map_err(wrap)?;
    let link: LinkPayload = payload(&verified.payload, "link").map_err(wrap)?;
    in_time(link.iat, link.exp, now_s).map_err(wrap)?;
    if audience.is_some() && link.aud.is_some() && link.aud.as_deref() != audience {
        return Err(wrap(ClaimError::Field { field: "link's aud (another store's)" }));
    }
    Ok(link)
}

/// Whether `by` may vouch for `path` ([`perso_core::provenance`]).
pub fn may_vouch(by: By, path: &str) -> bool {
    match (provenance(path), by) {
        (Provenance::Vouched(parties), By::Edge) => parties.contains(&Voucher::Edge),
        (Provenance::Vouched(parties), By::Link) => parties.contains(&Voucher::Link),
        (Provenance::Server, By::Server) => true,
        _ => false,
    }
}

/// The facts a voucher and a link vouch for, as the claim records them: the edge's
/// `Referer` host; the link's source (as the entry's referrer host and UTM source)
/// and its UTM medium and campaign. A link wins over the edge for the same path.
/// What the edge saw in the URL's query vouches for nothing.
pub fn vouched_facts(voucher: Option<&VoucherPayload>, link: Option<&LinkPayload>) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    let mut put = |path: &str, value: &str, by: By, reference: &str| {
        if value.is_empty() || !may_vouch(by, path) || facts.iter().any(|f| f.path == path) {
            return;
        }
        facts.push(Fact { path: path.into(), value: Some(value.into()), by, reference: Some(reference.into()) });
    };
    if let Some(link) = link {
        put("session.entry_referrer_host", &link.source, By::Link, &link.jti);
        put("session.entry_utm.source", &link.source, By::Link, &link.jti);
        for key in ["medium", "campaign"] {
            if let Some(value) = link.utm.get(key) {
                put(&format!("session.entry_utm.{key}"), value, By::Link, &link.jti);
            }
        }
    }
    if let Some(voucher) = voucher {
        if let Some(host) = &voucher.seen.referrer_host {
            put("session.entry_referrer_host", host, By::Edge, &voucher.jti);
        }
    }
    facts
}

/// The visitor state a re-check runs on: a session that entered with exactly the
/// vouched facts (referrer host, UTM), and nothing else the device would have said.
fn vouched_state(claim_facts: &[Fact], id: &str, now_ms: i64) -> VisitorState {
    let mut page = PageView { referrer_host: None, utm: Utm::default() };
    for fact in claim_facts.iter().filter(|f| f.by != By::Server && may_vouch(f.by, &f.path)) {
        let value = fact.value.clone();
        match fact.path.as_str() {
            "session.entry_referrer_host" => page.referrer_host = value,
            "session.entry_utm.source" => page.utm.source = value,
            "session.entry_utm.medium" => page.utm.medium = value,
            "session.entry_utm.campaign" => page.utm.campaign = value,
            _ => {}
        }
    }
    VisitorState::new(id, now_ms).page_view(&page, now_ms)
}

/// Re-checks `campaign`'s eligibility with the engine on the server's facts and the
/// vouched ones.
fn recheck(
    engine: &Engine,
    campaign: &str,
    facts: &[Fact],
    server: &ServerFacts,
    jti: &str,
    now_ms: i64,
) -> Result<(), ClaimError> {
    let context = serde_json::json!({ "customer": server.customer, "cart": server.cart });
    let context = engine.read_context_value(&context).map_err(|_| ClaimError::Field { field: "server facts" })?;
    let state = vouched_state(facts, jti, now_ms);
    match engine.explain_offer(campaign, &context, &state, now_ms) {
        None => Ok(()),
        Some(refusal) => Err(ClaimError::NotEligible { campaign: campaign.to_owned(), failed: refusal.failed }),
    }
}

/// The claim endpoint: a signed claim for `request.campaign`, or why not. The
/// voucher and the link are verified; the claim records the facts they vouch for
/// that the offer reads, and names the server facts the checkout will re-check. An
/// offer that reads no server fact is re-checked now, so a shopper learns at once
/// that (say) nothing vouches where they came from. `jti`: a fresh [`new_jti`].
pub fn issue_claim(
    engine: &Engine,
    request: &ClaimRequest<'_>,
    issuer: &Issuer<'_>,
    now_ms: i64,
    jti: String,
) -> Result<Issued, ClaimError> {
    let now_s = now_ms.div_euclid(1000);
    let (host, actions) = claimable(engine, request.campaign)?;
    let voucher = request.voucher.map(|t| verify_voucher(t, issuer.edge_keys, issuer.audience, now_s)).transpose()?;
    let link = request.link.map(|t| verify_link(t, issuer.link_keys, issuer.audience, now_s)).transpose()?;
    let reads = &host.offer_facts;
    let mut facts: Vec<Fact> =
        vouched_facts(voucher.as_ref(), link.as_ref()).into_iter().filter(|f| reads.contains(&f.path)).collect();
    let server: Vec<&String> = reads.iter().filter(|p| provenance(p) == Provenance::Server).collect();
    facts.extend(server.iter().map(|p| Fact { path: (*p).clone(), value: None, by: By::Server, reference: None }));
    if server.is_empty() {
        recheck(engine, request.campaign, &facts, &ServerFacts::default(), &jti, now_ms)?;
    }
    let action =
        actions.first().copied().ok_or_else(|| ClaimError::NotClaimable { campaign: request.campaign.into() })?;
    let (benefit, title) =
        action.terms().ok_or_else(|| ClaimError::NotClaimable { campaign: request.campaign.into() })?;
    let ttl = match action {
        HostAction::Offer(o) => o.expires_in_s.map_or(DEFAULT_CLAIM_TTL_S, |s| i64::try_from(s).unwrap_or(i64::MAX)),
        _ => DEFAULT_CLAIM_TTL_S,
    };
    let claim = ClaimPayload {
        campaign: request.campaign.to_owned(),
        terms: Terms { title: title.to_owned(), benefit: benefit.clone() },
        serial: engine.serial(),
        iat: now_s,
        exp: now_s.saturating_add(ttl.clamp(1, MAX_CLAIM_TTL_S)),
        jti,
        facts,
    };
    let text = serde_json::to_string(&claim).map_err(|_| ClaimError::Field { field: "claim" })?;
    Ok(Issued { token: jws::sign(CLAIM_TYP, &text, issuer.kid, issuer.key), claim })
}

/// The checkout: `token` verified against the store's claim keys and re-checked with
/// the engine on what the server knows, or why it is refused. The caller then records
/// `claim.jti` in its ledger, atomically with the order (single use).
pub fn verify_claim(
    token: &str,
    keys: &[TrustedKey],
    engine: &Engine,
    server: &ServerFacts,
    now_ms: i64,
) -> Result<Granted, ClaimError> {
    let now_s = now_ms.div_euclid(1000);
    let verified = jws::verify(token, CLAIM_TYP, keys)?;
    let claim: ClaimPayload = payload(&verified.payload, "claim")?;
    in_time(claim.iat, claim.exp, now_s)?;
    let (_, actions) = claimable(engine, &claim.campaign)?;
    let same_terms =
        actions.iter().any(|a| a.terms().is_some_and(|(b, t)| *b == claim.terms.benefit && t == claim.terms.title));
    if !same_terms {
        return Err(ClaimError::TermsChanged { campaign: claim.campaign });
    }
    if claim.serial > engine.serial() {
        return Err(ClaimError::NewerBundle { claim_serial: claim.serial, bundle_serial: engine.serial() });
    }
    recheck(engine, &claim.campaign, &claim.facts, server, &claim.jti, now_ms)?;
    Ok(Granted { claim, kid: verified.kid })
}

/// `perso sign-link` / a store's script: a landing link token for an affiliate.
pub fn sign_link(link: &LinkPayload, kid: &str, key: &SigningKey) -> String {
    jws::sign(LINK_TYP, &serde_json::to_string(link).unwrap_or_default(), kid, key)
}

/// What an edge signs (the JS worker does the same with WebCrypto: edge/src/vouch.js).
pub fn sign_voucher(voucher: &VoucherPayload, kid: &str, key: &SigningKey) -> String {
    jws::sign(VOUCHER_TYP, &serde_json::to_string(voucher).unwrap_or_default(), kid, key)
}

/// A voucher or link, verified, for tools (`perso claim verify` of a link).
pub fn read_link(token: &str, keys: &[TrustedKey], now_ms: i64) -> Result<LinkPayload, ClaimError> {
    verify_link(token, keys, None, now_ms.div_euclid(1000))
}

pub fn read_voucher(token: &str, keys: &[TrustedKey], now_ms: i64) -> Result<VoucherPayload, ClaimError> {
    verify_voucher(token, keys, None, now_ms.div_euclid(1000))
}
