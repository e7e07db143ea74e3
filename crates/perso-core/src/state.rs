//! Visitor state: what perso remembers about one visitor, on that visitor's device
//! (localStorage in the browser, a first-party cookie at the edge). The engine never
//! stores it; every update is a pure function returning the new state, and the host
//! persists it (or does not, with consent denied).
//!
//! Invariants: the stored forms are versioned and bounded — at most
//! [`MAX_CAMPAIGN_RECORDS`] campaign records (least recently touched dropped first),
//! [`MAX_INTERESTS`] interests and [`MAX_TEXT`] bytes per string — so the state always
//! fits a cookie. Hosts store the compact binary form ([`VisitorState::to_bytes`],
//! version [`COMPACT_VERSION`]); the JSON form (version [`STATE_VERSION`], short field
//! names) is for tools, tests and people.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub use crate::limits::{MAX_CAMPAIGN_RECORDS, MAX_INTERESTS, MAX_STATE_TEXT as MAX_TEXT, SESSION_TIMEOUT_MS};

pub const STATE_VERSION: u32 = 1;
/// First byte of the compact form.
pub const COMPACT_VERSION: u8 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitorState {
    pub v: u32,
    /// Random id made on the device; the bucketing key of experiments.
    pub id: String,
    /// Sessions started, this one included.
    pub visits: u32,
    /// Start of the previous session (ms since the epoch), for `visitor.days_since_last_visit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_ms: Option<i64>,
    pub session: Session,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<CampaignRecord>,
    /// Zero-party answers from the registration prompt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<String>,
    #[serde(default)]
    pub registered: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub start_ms: i64,
    pub last_ms: i64,
    pub pages: u32,
    /// Referrer host and UTM parameters of the session's first page: affiliate
    /// attribution that holds on later pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_host: Option<String>,
    #[serde(default, skip_serializing_if = "Utm::is_empty")]
    pub utm: Utm,
    #[serde(default)]
    pub interruptions: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_interruption_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Utm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self.source.is_none()
            && self.medium.is_none()
            && self.campaign.is_none()
            && self.term.is_none()
            && self.content.is_none()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        match field {
            "source" => self.source.as_deref(),
            "medium" => self.medium.as_deref(),
            "campaign" => self.campaign.as_deref(),
            "term" => self.term.as_deref(),
            "content" => self.content.as_deref(),
            _ => None,
        }
    }

    fn bounded(self) -> Utm {
        Utm {
            source: self.source.map(bound_text),
            medium: self.medium.map(bound_text),
            campaign: self.campaign.map(bound_text),
            term: self.term.map(bound_text),
            content: self.content.map(bound_text),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignRecord {
    pub id: String,
    /// Impressions this session.
    #[serde(default)]
    pub s: u32,
    /// Impressions ever.
    #[serde(default)]
    pub t: u32,
    /// Last touched (impression, click or dismissal), for eviction.
    #[serde(default)]
    pub last_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed_ms: Option<i64>,
    #[serde(default)]
    pub clicks: u32,
}

/// What a page view tells the state: where the page was entered from.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PageView {
    #[serde(default)]
    pub referrer_host: Option<String>,
    #[serde(default)]
    pub utm: Utm,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StateError {
    /// The stored state is from another format version; the host starts afresh.
    #[error("visitor state version {found} is not supported (expected {STATE_VERSION})")]
    UnsupportedVersion { found: u32 },
    #[error("visitor state is malformed: {0}")]
    Malformed(String),
    /// The compact form could not be decoded (truncated, corrupt, not a state).
    #[error("visitor state bytes are malformed")]
    MalformedBytes,
}

fn bound_text(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        s.truncate(crate::util::floor_char_boundary(&s, MAX_TEXT));
    }
    s
}

impl VisitorState {
    /// A first-time visitor; the host supplies a random id (crypto.randomUUID()).
    pub fn new(visitor_id: &str, now_ms: i64) -> VisitorState {
        VisitorState {
            v: STATE_VERSION,
            id: bound_text(visitor_id.to_owned()),
            visits: 1,
            prev_ms: None,
            session: Session { start_ms: now_ms, last_ms: now_ms, ..Session::default() },
            campaigns: Vec::new(),
            interests: Vec::new(),
            registered: false,
        }
    }

    /// Parses the JSON form, enforcing the version and the bounds.
    #[cfg(feature = "json")]
    pub fn from_json(bytes: &[u8]) -> Result<VisitorState, StateError> {
        match serde_json::from_slice::<VisitorState>(bytes) {
            Ok(state) if state.v == STATE_VERSION => Ok(state.bounded()),
            Ok(state) => Err(StateError::UnsupportedVersion { found: state.v }),
            Err(error) => {
                // Another version's fields may not parse; its version is the news.
                #[derive(Deserialize)]
                struct Version {
                    v: u32,
                }
                match serde_json::from_slice::<Version>(bytes) {
                    Ok(Version { v }) if v != STATE_VERSION => Err(StateError::UnsupportedVersion { found: v }),
                    _ => Err(StateError::Malformed(error.to_string())),
                }
            }
        }
    }

    #[cfg(feature = "json")]
    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The compact form hosts store: a version byte, then the fields in order
    /// (postcard). About a third of the JSON form's size.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = alloc::vec![COMPACT_VERSION];
        compact::write(self, &mut out);
        out
    }

    /// Reads the compact form, enforcing the version and the bounds.
    pub fn from_bytes(bytes: &[u8]) -> Result<VisitorState, StateError> {
        match bytes.split_first() {
            Some((&COMPACT_VERSION, rest)) => {
                compact::read(rest).map(VisitorState::bounded).ok_or(StateError::MalformedBytes)
            }
            Some((other, _)) => Err(StateError::UnsupportedVersion { found: u32::from(*other) }),
            None => Err(StateError::MalformedBytes),
        }
    }

    /// The compact form within `budget` bytes: campaign records are dropped, least
    /// recently touched and undismissed first (forgetting a dismissal would show the
    /// shopper an offer they closed), an eighth at a time; `None` if even without
    /// records it does not fit. One rule for every host (the edge's cookie, a
    /// browser's storage quota).
    pub fn to_bytes_within(&self, budget: usize) -> Option<Vec<u8>> {
        let mut bytes = self.to_bytes();
        if bytes.len() <= budget {
            return Some(bytes);
        }
        let mut trimmed = self.clone();
        while bytes.len() > budget && !trimmed.campaigns.is_empty() {
            crate::util::insertion_sort_by(&mut trimmed.campaigns, |a, b| {
                (a.dismissed_ms.is_some(), a.last_ms) < (b.dismissed_ms.is_some(), b.last_ms)
            });
            let drop = trimmed.campaigns.len().div_ceil(8);
            trimmed.campaigns.drain(..drop);
            bytes = trimmed.to_bytes();
        }
        (bytes.len() <= budget).then_some(bytes)
    }

    fn bounded(mut self) -> VisitorState {
        self.id = bound_text(self.id);
        self.interests.truncate(MAX_INTERESTS);
        self.interests = self.interests.into_iter().map(bound_text).collect();
        self.session.ref_host = self.session.ref_host.map(bound_text);
        self.session.utm = self.session.utm.bounded();
        if self.campaigns.len() > MAX_CAMPAIGN_RECORDS {
            crate::util::insertion_sort_by(&mut self.campaigns, |a, b| a.last_ms > b.last_ms);
            self.campaigns.truncate(MAX_CAMPAIGN_RECORDS);
        }
        for record in &mut self.campaigns {
            record.id = bound_text(core::mem::take(&mut record.id));
        }
        self
    }

    /// Whether the session has lapsed (30 minutes without activity) at `now_ms`.
    pub fn session_expired(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.session.last_ms) > SESSION_TIMEOUT_MS
    }

    /// A page was viewed: starts a new session after 30 idle minutes (recording its
    /// entry referrer and UTM), then counts the page.
    pub fn page_view(mut self, page: &PageView, now_ms: i64) -> VisitorState {
        if self.session_expired(now_ms) {
            self.prev_ms = Some(self.session.start_ms);
            self.visits = self.visits.saturating_add(1);
            self.session = Session { start_ms: now_ms, last_ms: now_ms, ..Session::default() };
            for record in &mut self.campaigns {
                record.s = 0;
            }
        }
        if self.session.pages == 0 {
            self.session.ref_host = page.referrer_host.clone().filter(|h| !h.is_empty()).map(bound_text);
            self.session.utm = page.utm.clone().bounded();
        }
        self.session.pages = self.session.pages.saturating_add(1);
        self.session.last_ms = now_ms;
        self
    }

    /// Activity without a page view (a click, a cart change) keeps the session alive.
    pub fn touch(mut self, now_ms: i64) -> VisitorState {
        if !self.session_expired(now_ms) {
            self.session.last_ms = self.session.last_ms.max(now_ms);
        }
        self
    }

    pub fn campaign(&self, id: &str) -> Option<&CampaignRecord> {
        self.campaigns.iter().find(|r| r.id == id)
    }

    /// Campaign `id`'s record, created if the state has none (evicting the least
    /// recently touched one past the limit), touched at `now_ms`. Always `Some`.
    fn record_mut(&mut self, id: &str, now_ms: i64) -> Option<&mut CampaignRecord> {
        let index = match self.campaigns.iter().position(|r| r.id == id) {
            Some(index) => index,
            None => {
                if self.campaigns.len() >= MAX_CAMPAIGN_RECORDS {
                    // Evict the least recently touched record.
                    if let Some((oldest, _)) = self.campaigns.iter().enumerate().min_by_key(|(_, r)| r.last_ms) {
                        self.campaigns.swap_remove(oldest);
                    }
                }
                let index = self.campaigns.len();
                self.campaigns.push(CampaignRecord { id: bound_text(id.to_owned()), ..Default::default() });
                index
            }
        };
        let record = self.campaigns.get_mut(index)?;
        record.last_ms = now_ms;
        Some(record)
    }

    /// A campaign was rendered. `interruption` is true for offers, registration
    /// prompts and chat triggers (see [`crate::Engine::record_impression`]).
    pub fn impression(mut self, campaign: &str, interruption: bool, now_ms: i64) -> VisitorState {
        if let Some(record) = self.record_mut(campaign, now_ms) {
            record.s = record.s.saturating_add(1);
            record.t = record.t.saturating_add(1);
        }
        if interruption {
            self.session.interruptions = self.session.interruptions.saturating_add(1);
            self.session.last_interruption_ms = Some(now_ms);
        }
        self.touch(now_ms)
    }

    pub fn dismissal(mut self, campaign: &str, now_ms: i64) -> VisitorState {
        if let Some(record) = self.record_mut(campaign, now_ms) {
            record.dismissed_ms = Some(now_ms);
        }
        self.touch(now_ms)
    }

    pub fn click(mut self, campaign: &str, now_ms: i64) -> VisitorState {
        if let Some(record) = self.record_mut(campaign, now_ms) {
            record.clicks = record.clicks.saturating_add(1);
        }
        self.touch(now_ms)
    }

    /// Stores the registration prompt's answers (zero-party data, on this device only).
    pub fn register(mut self, interests: &[String], now_ms: i64) -> VisitorState {
        self.registered = true;
        self.interests = interests.iter().take(MAX_INTERESTS).cloned().map(bound_text).collect();
        self.interests.dedup();
        self.touch(now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn session_rolls_over_after_thirty_idle_minutes() {
        let from_affiliate = PageView { referrer_host: Some("gadgets.com".into()), utm: Utm::default() };
        let internal = PageView { referrer_host: Some("gizmos.test".into()), utm: Utm::default() };
        let s = VisitorState::new("v1", 0).page_view(&from_affiliate, 0);
        let s = s.page_view(&internal, 29 * MIN);
        assert_eq!(s.session.ref_host.as_deref(), Some("gadgets.com"), "attribution holds");
        assert_eq!((s.visits, s.session.pages), (1, 2));
        let s = s.page_view(&internal, 29 * MIN + 31 * MIN);
        assert_eq!((s.visits, s.session.pages), (2, 1));
        assert_eq!(s.session.ref_host.as_deref(), Some("gizmos.test"));
        assert_eq!(s.prev_ms, Some(0));
    }

    #[test]
    fn impressions_count_per_session_and_reset() {
        let s = VisitorState::new("v1", 0).page_view(&PageView::default(), 0);
        let s = s.impression("offer", true, 1000).impression("offer", true, 2000);
        let r = s.campaign("offer").cloned().unwrap_or_default();
        assert_eq!((r.s, r.t), (2, 2));
        assert_eq!(s.session.interruptions, 2);
        let s = s.page_view(&PageView::default(), 2000 + 31 * MIN);
        let r = s.campaign("offer").cloned().unwrap_or_default();
        assert_eq!((r.s, r.t), (0, 2));
        assert_eq!(s.session.interruptions, 0);
    }

    #[test]
    fn records_are_bounded() {
        let mut s = VisitorState::new("v1", 0);
        for i in 0..(MAX_CAMPAIGN_RECORDS as i64 + 10) {
            s = s.impression(&format!("c{i}"), false, i);
        }
        assert_eq!(s.campaigns.len(), MAX_CAMPAIGN_RECORDS);
        assert!(s.campaign("c0").is_none(), "oldest evicted");
        assert!(s.campaign(&format!("c{}", MAX_CAMPAIGN_RECORDS + 9)).is_some());
    }

    #[test]
    fn round_trips_and_rejects_other_versions() {
        let s = VisitorState::new("v1", 5).register(&["audio".into()], 6);
        let back = VisitorState::from_json(s.to_json().as_bytes());
        assert_eq!(back, Ok(s));
        assert_eq!(VisitorState::from_json(br#"{"v":9,"id":"x"}"#), Err(StateError::UnsupportedVersion { found: 9 }));
        assert!(matches!(VisitorState::from_json(b"{oops"), Err(StateError::Malformed(_))));
    }

    #[test]
    fn compact_form_round_trips_and_is_small() {
        let s = VisitorState::new("0f8e4c1a-9d2b-4e6f-8a3c-5b7d9e1f2a4c", 1_795_600_800_000)
            .page_view(&PageView { referrer_host: Some("gadgets.com".into()), utm: Utm::default() }, 1_795_600_800_000)
            .impression("aff-hero", false, 1_795_600_801_000)
            .dismissal("aff-offer", 1_795_600_802_000)
            .register(&["audio".into(), "camera".into()], 1_795_600_803_000);
        let bytes = s.to_bytes();
        assert_eq!(VisitorState::from_bytes(&bytes), Ok(s.clone()));
        assert!(bytes.len() * 2 < s.to_json().len(), "{} bytes vs {} JSON", bytes.len(), s.to_json().len());
        assert_eq!(VisitorState::from_bytes(&[]), Err(StateError::MalformedBytes));
        assert_eq!(VisitorState::from_bytes(&[7, 1]), Err(StateError::UnsupportedVersion { found: 7 }));
        for cut in 0..bytes.len() {
            assert!(VisitorState::from_bytes(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
    }

    #[test]
    fn fitting_a_budget_keeps_dismissals_longest() {
        let mut s = VisitorState::new("v1", 0);
        for i in 0..MAX_CAMPAIGN_RECORDS as i64 {
            s = s.impression(&format!("campaign-number-{i}"), false, i);
        }
        s = s.dismissal("campaign-number-0", 1);
        let full = s.to_bytes().len();
        let fitted = s.to_bytes_within(full / 2).unwrap_or_default();
        assert!(fitted.len() <= full / 2);
        let back = VisitorState::from_bytes(&fitted).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.campaigns.len() < MAX_CAMPAIGN_RECORDS);
        assert!(back.campaign("campaign-number-0").is_some(), "the dismissed record stays");
        assert_eq!(s.to_bytes_within(3), None);
    }

    #[test]
    fn oversized_strings_are_cut() {
        let long = "x".repeat(500);
        let json = format!(
            r#"{{"v":1,"id":"{long}","visits":1,"session":{{"start_ms":0,"last_ms":0,"pages":1,"ref_host":"{long}"}}}}"#
        );
        let s = VisitorState::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.id.len(), MAX_TEXT);
        assert_eq!(s.session.ref_host.map(|h| h.len()), Some(MAX_TEXT));
    }
}

/// The compact form: the fields in order, in the postcard format (see
/// [`crate::program::wire`]), written and read here without serde.
mod compact {
    use super::*;
    use crate::program::wire::{Reader, Wire, Writer};

    pub fn write(s: &VisitorState, out: &mut Vec<u8>) {
        let mut w = Writer { bytes: core::mem::take(out) };
        w.str(&s.id);
        w.varint(u64::from(s.visits));
        w.opt_i64(s.prev_ms);
        let session = &s.session;
        w.i64(session.start_ms);
        w.i64(session.last_ms);
        w.varint(u64::from(session.pages));
        w.opt_str(session.ref_host.as_deref());
        let utm = &session.utm;
        for field in [&utm.source, &utm.medium, &utm.campaign, &utm.term, &utm.content] {
            w.opt_str(field.as_deref());
        }
        w.varint(u64::from(session.interruptions));
        w.opt_i64(session.last_interruption_ms);
        w.varint(s.campaigns.len() as u64);
        for r in &s.campaigns {
            w.str(&r.id);
            w.varint(u64::from(r.s));
            w.varint(u64::from(r.t));
            w.i64(r.last_ms);
            w.opt_i64(r.dismissed_ms);
            w.varint(u64::from(r.clicks));
        }
        w.varint(s.interests.len() as u64);
        for interest in &s.interests {
            w.str(interest);
        }
        w.bool(s.registered);
        *out = w.bytes;
    }

    pub fn read(bytes: &[u8]) -> Option<VisitorState> {
        let mut r = Reader::new(bytes);
        let id = String::read(&mut r)?;
        let visits = r.u32()?;
        let prev_ms = Option::<i64>::read(&mut r)?;
        let start_ms = r.i64()?;
        let last_ms = r.i64()?;
        let pages = r.u32()?;
        let ref_host = Option::<String>::read(&mut r)?;
        let mut utm = [None, None, None, None, None];
        for field in &mut utm {
            *field = Option::<String>::read(&mut r)?;
        }
        let [source, medium, campaign, term, content] = utm;
        let interruptions = r.u32()?;
        let last_interruption_ms = Option::<i64>::read(&mut r)?;
        let count = r.len(6)?;
        let mut campaigns = Vec::with_capacity(count);
        for _ in 0..count {
            campaigns.push(CampaignRecord {
                id: String::read(&mut r)?,
                s: r.u32()?,
                t: r.u32()?,
                last_ms: r.i64()?,
                dismissed_ms: Option::<i64>::read(&mut r)?,
                clicks: r.u32()?,
            });
        }
        let interests = Vec::<String>::read(&mut r)?;
        let registered = r.bool()?;
        r.is_empty().then_some(VisitorState {
            v: STATE_VERSION,
            id,
            visits,
            prev_ms,
            session: Session {
                start_ms,
                last_ms,
                pages,
                ref_host,
                utm: Utm { source, medium, campaign, term, content },
                interruptions,
                last_interruption_ms,
            },
            campaigns,
            interests,
            registered,
        })
    }
}
