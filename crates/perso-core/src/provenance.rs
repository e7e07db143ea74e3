//! Where a fact can come from when the store's checkout re-checks an offer
//! (docs/offers.md): the one statement of it, for the CLI's `validate`, the claims
//! crate and (mirrored, tested against the same vectors) the JS checkout kit.
//!
//! - **Server**: `customer.*` and `cart.*` — the checkout reads them from its own
//!   records and its own cart, never from the shopper's device or from a claim.
//! - **Vouched**: a party that observed the fact signed it. The edge worker saw the
//!   landing request's `Referer` (`session.entry_referrer_host`); a landing link the
//!   store signed for an affiliate (`perso sign-link`) names its source
//!   (`session.entry_referrer_host`, `session.entry_utm.source`) and its UTM tags.
//!   What the edge saw in the URL's query is attribution, not evidence (anyone can
//!   type `?utm_source=...`): it vouches for nothing.
//! - **Shopper**: everything else (time on site, pages, device, local state,
//!   `custom.*`, the page's own `page.*`): a claim can never rest on it.

/// A party that can vouch for a fact a checkout cannot know itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Voucher {
    /// The edge worker, from the landing request's headers.
    Edge,
    /// A landing link the store signed for an affiliate.
    Link,
}

impl Voucher {
    pub fn name(self) -> &'static str {
        match self {
            Voucher::Edge => "edge",
            Voucher::Link => "link",
        }
    }
}

/// Where a context path's value can come from at checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// The store's own records or cart (`customer.*`, `cart.*`).
    Server,
    /// Only from these parties' signed observations.
    Vouched(&'static [Voucher]),
    /// Only from the shopper's device: never evidence.
    Shopper,
}

/// Facts the store's server knows itself at checkout.
pub const SERVER_KNOWN_PREFIXES: [&str; 2] = ["customer.", "cart."];

pub fn provenance(path: &str) -> Provenance {
    const EDGE_OR_LINK: &[Voucher] = &[Voucher::Edge, Voucher::Link];
    const LINK: &[Voucher] = &[Voucher::Link];
    if SERVER_KNOWN_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return Provenance::Server;
    }
    match path {
        "session.entry_referrer_host" => Provenance::Vouched(EDGE_OR_LINK),
        "session.entry_utm.source" | "session.entry_utm.medium" | "session.entry_utm.campaign" => {
            Provenance::Vouched(LINK)
        }
        _ => Provenance::Shopper,
    }
}

/// Whether a fact is the shopper's alone (nothing at checkout can confirm it).
pub fn shopper_controlled(path: &str) -> bool {
    provenance(path) != Provenance::Server
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy() {
        assert_eq!(provenance("cart.total"), Provenance::Server);
        assert_eq!(provenance("customer.ltv_band"), Provenance::Server);
        assert_eq!(provenance("session.entry_referrer_host"), Provenance::Vouched(&[Voucher::Edge, Voucher::Link]));
        assert_eq!(provenance("session.entry_utm.source"), Provenance::Vouched(&[Voucher::Link]));
        assert_eq!(provenance("session.entry_utm.term"), Provenance::Shopper);
        assert_eq!(provenance("session.time_on_site_s"), Provenance::Shopper);
        assert_eq!(provenance("page.referrer_host"), Provenance::Shopper, "the page's own view is the device's");
        assert_eq!(provenance("custom.vip"), Provenance::Shopper);
        assert!(shopper_controlled("visitor.registered"));
        assert!(!shopper_controlled("cart.items"));
    }
}
