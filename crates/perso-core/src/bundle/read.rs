//! Reads a bundle's JSON (already parsed into a `serde_json::Value`) into the
//! [`source`](super::source) types, collecting every type error, missing field and
//! unknown field with its JSON path — where serde's derive would stop at the first
//! problem. It is the only reader of the wire format: the engine's compiler, the
//! CLI's lints, templates and explain all take what it returns, and every default
//! is applied here, from the constant beside its field in [`super::source`].

use super::source::*;
use super::{BundleIssue, Problem};
use crate::vocab::{
    Banner, Benefit, Chat, Choice, Link, Offer, OfferDisplay, Question, Redeem, Register, Reward, Trigger,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(crate) struct Reader<'i> {
    pub issues: &'i mut Vec<BundleIssue>,
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Edit distance, to suggest the field a typo meant (one row of the Levenshtein
/// table; every cell is at most the longer length, so the additions cannot saturate).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for ca in a.chars() {
        let Some((first, rest)) = row.split_first_mut() else { break };
        let mut diagonal = *first;
        *first = first.saturating_add(1);
        let mut left = *first;
        for (cell, cb) in rest.iter_mut().zip(&b) {
            let up = *cell;
            *cell =
                diagonal.saturating_add(usize::from(ca != *cb)).min(left.saturating_add(1)).min(up.saturating_add(1));
            left = *cell;
            diagonal = up;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// The candidate a typo most likely meant: the closest within two edits (the
/// reader's rule for field names; the CLI's lints use it for values and paths).
pub fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates.into_iter().filter(|c| distance(c, word) <= 2).min_by_key(|c| distance(c, word))
}

/// Edit distance between two words (insertions, deletions, substitutions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    distance(a, b)
}

impl Reader<'_> {
    fn issue(&mut self, path: String, problem: Problem) {
        self.issues.push(BundleIssue { path, problem });
    }

    fn wrong(&mut self, path: String, expected: &'static str, found: &Value) {
        self.issue(path, Problem::WrongType { expected, found: kind_name(found) });
    }

    /// An object with only the `allowed` keys.
    fn object<'v>(&mut self, value: &'v Value, path: &str, allowed: &[&str]) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            self.wrong(path.to_owned(), "an object", value);
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let suggestion = did_you_mean(key, allowed.iter().copied());
                self.issue(
                    format!("{path}{}", crate::logic::compile::key_segment(key)),
                    Problem::UnknownField { suggestion: suggestion.map(str::to_owned) },
                );
            }
        }
        Some(map)
    }

    fn field_path(path: &str, key: &str) -> String {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    }

    fn required<'v>(&mut self, map: &'v Map<String, Value>, key: &str, path: &str) -> Option<&'v Value> {
        let value = map.get(key);
        if value.is_none() {
            self.issue(Self::field_path(path, key), Problem::Missing);
        }
        value
    }

    fn string(&mut self, value: &Value, path: String) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong(path, "a string", other);
                None
            }
        }
    }

    fn req_string(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> String {
        self.required(map, key, path).and_then(|v| self.string(v, Self::field_path(path, key))).unwrap_or_default()
    }

    fn opt_string(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.string(v, Self::field_path(path, key)),
        }
    }

    fn boolean(&mut self, map: &Map<String, Value>, key: &str, path: &str, default: bool) -> bool {
        match map.get(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.wrong(Self::field_path(path, key), "true or false", other);
                default
            }
        }
    }

    fn integer(&mut self, value: &Value, path: String, min: i64, max: i64) -> Option<i64> {
        match value.as_i64().or_else(|| value.as_u64().map(|u| u.min(i64::MAX as u64) as i64)) {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.issue(path, Problem::NumberRange { min, max });
                None
            }
            None => {
                self.wrong(path, "a whole number", value);
                None
            }
        }
    }

    fn opt_integer(&mut self, map: &Map<String, Value>, key: &str, path: &str, min: i64, max: i64) -> Option<i64> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.integer(v, Self::field_path(path, key), min, max),
        }
    }

    fn opt_number(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> Option<f64> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                self.wrong(Self::field_path(path, key), "a number", other);
                None
            }
        }
    }

    fn array<'v>(&mut self, map: &'v Map<String, Value>, key: &str, path: &str, required: bool) -> &'v [Value] {
        match map.get(key) {
            None if required => {
                self.issue(Self::field_path(path, key), Problem::Missing);
                &[]
            }
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.wrong(Self::field_path(path, key), "an array", other);
                &[]
            }
        }
    }

    /// An array moved out of the bundle, type-checked like [`Self::array`].
    fn taken_array<'v>(
        &mut self,
        value: &'v mut Option<Value>,
        key: &str,
        required: bool,
    ) -> Option<&'v mut Vec<Value>> {
        match value {
            None if required => {
                self.issue(key.to_owned(), Problem::Missing);
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(items),
            Some(other) => {
                self.wrong(key.to_owned(), "an array", other);
                None
            }
        }
    }

    fn strings(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> Vec<String> {
        let items = self.array(map, key, path, false);
        let base = Self::field_path(path, key);
        items.iter().enumerate().filter_map(|(i, v)| self.string(v, format!("{base}[{i}]"))).collect()
    }

    /// Reads the bundle, moving conditions out of `value` rather than copying them.
    pub fn bundle(&mut self, value: &mut Value) -> Option<BundleSource> {
        const FIELDS: &[&str] = &[
            "version",
            "serial",
            "expires_at",
            "issued_at",
            "store",
            "utc_offset_minutes",
            "placements",
            "segments",
            "campaigns",
            "guardrails",
            "products",
            "affinity",
            "page_types",
            "holdout",
            "context",
        ];
        let mut segments_value = value.get_mut("segments").map(Value::take);
        let mut campaigns_value = value.get_mut("campaigns").map(Value::take);
        let map = self.object(value, "", FIELDS)?;
        let path = "";
        let version = self
            .required(map, "version", path)
            .and_then(|v| self.integer(v, "version".into(), 0, i64::MAX))
            .unwrap_or(0);
        let serial =
            self.required(map, "serial", path).and_then(|v| self.integer(v, "serial".into(), 0, i64::MAX)).unwrap_or(0);
        let placements = self
            .array(map, "placements", path, true)
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let p = format!("placements[{i}]");
                let m = self.object(v, &p, &["id", "description"])?;
                Some(PlacementSource {
                    id: self.req_string(m, "id", &p),
                    description: self.opt_string(m, "description", &p),
                })
            })
            .collect();
        let segments = match self.taken_array(&mut segments_value, "segments", false) {
            Some(items) => items
                .iter_mut()
                .enumerate()
                .filter_map(|(i, v)| {
                    let p = format!("segments[{i}]");
                    let condition = v.get_mut("condition").map(Value::take);
                    let m = self.object(v, &p, &["id", "description", "condition"])?;
                    if condition.is_none() {
                        self.issue(format!("{p}.condition"), Problem::Missing);
                    }
                    Some(SegmentSource {
                        id: self.req_string(m, "id", &p),
                        description: self.opt_string(m, "description", &p),
                        condition: condition.unwrap_or(Value::Bool(false)),
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let campaigns = match self.taken_array(&mut campaigns_value, "campaigns", true) {
            Some(items) => {
                items.iter_mut().enumerate().filter_map(|(i, v)| self.campaign(v, &format!("campaigns[{i}]"))).collect()
            }
            None => Vec::new(),
        };
        let guardrails = match map.get("guardrails") {
            Some(v) => self.guardrails(v),
            None => GuardrailsSource::default(),
        };
        let mut products = BTreeMap::new();
        match map.get("products") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (sku, product) in m {
                    let p = format!("products{}", crate::logic::compile::key_segment(sku));
                    if let Some(product) = self.product(product, &p) {
                        products.insert(sku.clone(), product);
                    }
                }
            }
            Some(other) => self.wrong("products".into(), "an object of sku -> product", other),
        }
        Some(BundleSource {
            version: version as u64,
            serial: serial as u64,
            expires_at: self.req_string(map, "expires_at", path),
            issued_at: self.opt_string(map, "issued_at", path),
            store: self.opt_string(map, "store", path),
            utc_offset_minutes: self.opt_integer(map, "utc_offset_minutes", path, -840, 840).unwrap_or(0) as i32,
            placements,
            segments,
            campaigns,
            guardrails,
            products,
            affinity: map.get("affinity").map(|v| self.affinity(v)).unwrap_or_default(),
            page_types: map.get("page_types").filter(|v| !v.is_null()).map(|v| self.page_types(v)),
            holdout: map.get("holdout").filter(|v| !v.is_null()).and_then(|v| self.holdout(v)),
            context: match map.get("context") {
                None | Some(Value::Null) => BundleSource::DEFAULT_CONTEXT,
                Some(v) => self.context(v),
            },
        })
    }

    /// `"context": {"custom.loyalty_tier": "string"}`: declared custom paths.
    fn context(&mut self, value: &Value) -> BTreeMap<String, crate::context::Kind> {
        use crate::context::Kind;
        let mut out = BTreeMap::new();
        let Value::Object(map) = value else {
            self.wrong("context".into(), "an object of custom.* path -> type", value);
            return out;
        };
        for (path, kind) in map {
            let p = format!("context{}", crate::logic::compile::key_segment(path));
            if path.strip_prefix("custom.").is_none_or(str::is_empty) {
                self.issue(
                    p,
                    Problem::OutOfRange("only custom.* paths are declared (the documented paths have their types)"),
                );
                continue;
            }
            let kind = match kind.as_str() {
                Some("string") => Kind::Str,
                Some("number") => Kind::Num,
                Some("boolean") => Kind::Bool,
                Some("list") => Kind::List,
                Some(other) => {
                    self.issue(
                        p,
                        Problem::UnknownKind { found: other.to_owned(), expected: "string, number, boolean, list" },
                    );
                    continue;
                }
                None => {
                    self.wrong(p, "a type name (string, number, boolean, list)", kind);
                    continue;
                }
            };
            out.insert(path.clone(), kind);
        }
        out
    }

    fn page_types(&mut self, value: &Value) -> Vec<PageTypeRule> {
        let Value::Array(rules) = value else {
            self.wrong("page_types".into(), "an array of {path | segment, type} rules", value);
            return Vec::new();
        };
        let mut out = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let p = format!("page_types[{i}]");
            let Some(m) = self.object(rule, &p, &["path", "segment", "type"]) else { continue };
            let page_type = self.req_string(m, "type", &p);
            let matcher = match (self.opt_string(m, "path", &p), self.opt_string(m, "segment", &p)) {
                (Some(path), None) => PageMatch::Path(path),
                (None, Some(segment)) => PageMatch::Segment(segment),
                _ => {
                    self.issue(
                        p,
                        Problem::OutOfRange("give exactly one of \"path\" (exact) or \"segment\" (first path segment)"),
                    );
                    continue;
                }
            };
            out.push(PageTypeRule { matcher, page_type });
        }
        out
    }

    fn holdout(&mut self, value: &Value) -> Option<GlobalHoldoutSource> {
        let p = "holdout";
        let m = self.object(value, p, &["percent", "salt"])?;
        let percent = match self.required(m, "percent", p) {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if (0.0..=100.0).contains(&x) => x,
                _ => {
                    self.issue("holdout.percent".into(), Problem::OutOfRange("must be between 0 and 100"));
                    return None;
                }
            },
            Some(other) => {
                self.wrong("holdout.percent".into(), "a number", other);
                return None;
            }
            None => return None,
        };
        Some(GlobalHoldoutSource { percent, salt: self.opt_string(m, "salt", p) })
    }

    fn campaign(&mut self, value: &mut Value, p: &str) -> Option<CampaignSource> {
        const FIELDS: &[&str] = &[
            "id",
            "name",
            "placement",
            "priority",
            "enabled",
            "segments",
            "condition",
            "schedule",
            "caps",
            "requires_consent",
            "trigger",
            "experiment",
            "action",
            "why",
        ];
        let condition = value.get_mut("condition").map(Value::take).filter(|c| !c.is_null());
        let mut action_value = value.get_mut("action").map(Value::take);
        let m = self.object(value, p, FIELDS)?;
        let action = match action_value.as_mut() {
            Some(a) => self.action(a, &format!("{p}.action"))?,
            None => {
                self.issue(format!("{p}.action"), Problem::Missing);
                return None;
            }
        };
        Some(CampaignSource {
            id: self.req_string(m, "id", p),
            name: self.opt_string(m, "name", p),
            placement: self.req_string(m, "placement", p),
            priority: self.opt_integer(m, "priority", p, i64::MIN, i64::MAX).unwrap_or(0),
            enabled: self.boolean(m, "enabled", p, true),
            segments: self.strings(m, "segments", p),
            condition,
            schedule: m.get("schedule").and_then(|s| self.schedule(s, &format!("{p}.schedule"))),
            caps: m.get("caps").and_then(|c| self.caps(c, &format!("{p}.caps"))).unwrap_or_default(),
            requires_consent: self.boolean(m, "requires_consent", p, false),
            trigger: m.get("trigger").and_then(|t| self.trigger(t, &format!("{p}.trigger"))).unwrap_or_default(),
            experiment: m
                .get("experiment")
                .cloned()
                .as_mut()
                .and_then(|e| self.experiment(e, &format!("{p}.experiment"))),
            action,
            why: self.opt_string(m, "why", p),
        })
    }

    fn schedule(&mut self, value: &Value, p: &str) -> Option<ScheduleSource> {
        let m = self.object(value, p, &["start", "end", "hours", "weekdays"])?;
        let hours = match m.get("hours") {
            None | Some(Value::Null) => None,
            Some(Value::Array(pair)) if pair.len() == 2 => {
                let [from, to] = pair.as_slice() else { return None };
                let from = self.integer(from, format!("{p}.hours[0]"), 0, 24);
                let to = self.integer(to, format!("{p}.hours[1]"), 0, 24);
                Some([from? as u8, to? as u8])
            }
            Some(other) => {
                self.wrong(format!("{p}.hours"), "[from, to] hours", other);
                None
            }
        };
        let weekdays = match m.get("weekdays") {
            None | Some(Value::Null) => None,
            Some(_) => {
                let items = self.array(m, "weekdays", p, false);
                Some(
                    items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, d)| self.integer(d, format!("{p}.weekdays[{i}]"), 1, 7))
                        .map(|d| d as u8)
                        .collect(),
                )
            }
        };
        Some(ScheduleSource {
            start: self.opt_string(m, "start", p),
            end: self.opt_string(m, "end", p),
            hours,
            weekdays,
        })
    }

    fn caps(&mut self, value: &Value, p: &str) -> Option<CapsSource> {
        let m = self.object(value, p, &["per_session", "per_visitor", "cooldown_after_dismiss_s"])?;
        Some(CapsSource {
            per_session: self.opt_integer(m, "per_session", p, 0, i64::from(u32::MAX)).map(|n| n as u32),
            per_visitor: self.opt_integer(m, "per_visitor", p, 0, i64::from(u32::MAX)).map(|n| n as u32),
            cooldown_after_dismiss_s: self.opt_integer(m, "cooldown_after_dismiss_s", p, 0, i64::MAX).map(|n| n as u64),
        })
    }

    /// How a pop-up is shown: `toast` (a corner card the page stays usable around) or
    /// `modal` (a dialog over the page).
    fn display(&mut self, m: &Map<String, Value>, p: &str, default: OfferDisplay) -> OfferDisplay {
        match self.opt_string(m, "display", p).as_deref() {
            None => default,
            Some("toast") => OfferDisplay::Toast,
            Some("modal") => OfferDisplay::Modal,
            Some(other) => {
                self.issue(
                    format!("{p}.display"),
                    Problem::UnknownKind { found: other.to_owned(), expected: "toast, modal" },
                );
                default
            }
        }
    }

    fn trigger(&mut self, value: &Value, p: &str) -> Option<Trigger> {
        let m = self.object(value, p, &["on", "seconds", "percent"])?;
        let on = self.req_string(m, "on", p);
        let seconds = |r: &mut Self| r.opt_integer(m, "seconds", p, 0, 86_400).unwrap_or(0) as u32;
        Some(match on.as_str() {
            "now" => Trigger::Now,
            "dwell" => Trigger::Dwell { seconds: seconds(self) },
            "idle" => Trigger::Idle { seconds: seconds(self) },
            "scroll" => Trigger::Scroll {
                percent: self.opt_integer(m, "percent", p, 1, 100).map_or(Trigger::DEFAULT_SCROLL_PERCENT, |n| n as u8),
            },
            "exit_intent" => Trigger::ExitIntent,
            "add_to_cart" => Trigger::AddToCart,
            other => {
                self.issue(
                    format!("{p}.on"),
                    Problem::UnknownKind {
                        found: other.to_owned(),
                        expected: "now, dwell, idle, scroll, exit_intent, add_to_cart",
                    },
                );
                return None;
            }
        })
    }

    fn experiment(&mut self, value: &mut Value, p: &str) -> Option<ExperimentSource> {
        let mut variants_value = value.get_mut("variants").map(Value::take);
        let m = self.object(value, p, &["salt", "variants", "holdout"])?;
        let variants = match self.taken_array(&mut variants_value, &format!("{p}.variants"), true) {
            Some(items) => items
                .iter_mut()
                .enumerate()
                .filter_map(|(i, v)| {
                    let vp = format!("{p}.variants[{i}]");
                    let mut action = v.get_mut("action").map(Value::take).filter(|a| !a.is_null());
                    let vm = self.object(v, &vp, &["id", "weight", "action"])?;
                    Some(VariantSource {
                        id: self.req_string(vm, "id", &vp),
                        weight: self
                            .opt_integer(vm, "weight", &vp, i64::from(i32::MIN), i64::from(i32::MAX))
                            .unwrap_or(VariantSource::DEFAULT_WEIGHT),
                        action: action.as_mut().and_then(|a| self.action(a, &format!("{vp}.action"))),
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        Some(ExperimentSource {
            salt: self.opt_string(m, "salt", p),
            variants,
            holdout: self.opt_integer(m, "holdout", p, i64::from(i32::MIN), i64::from(i32::MAX)).unwrap_or(0),
        })
    }

    fn link(&mut self, map: &Map<String, Value>, p: &str) -> Option<Link> {
        let value = map.get("cta").filter(|v| !v.is_null())?;
        let lp = format!("{p}.cta");
        let m = self.object(value, &lp, &["label", "url"])?;
        Some(Link { label: self.req_string(m, "label", &lp), url: self.req_string(m, "url", &lp) })
    }

    fn action(&mut self, value: &mut Value, p: &str) -> Option<ActionSource> {
        let eligibility = value.get_mut("eligibility").map(Value::take).filter(|e| !e.is_null());
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("").to_owned();
        let kind = kind.as_str();
        let fields: &[&str] = match kind {
            "banner" => &["kind", "title", "body", "image", "cta"],
            "offer" => &[
                "kind",
                "title",
                "body",
                "code",
                "single_use",
                "display",
                "expires_in_s",
                "terms",
                "eligibility",
                "cta",
                "redeem",
                "benefit",
            ],
            "recommend" => &["kind", "title", "count", "fallback"],
            "welcome" => &["kind", "template"],
            "register" => &["kind", "title", "body", "questions", "submit_label", "reward", "display"],
            "chat" => &["kind", "message", "topic"],
            _ => {
                // The kind decides which fields belong, so with a missing or unknown
                // kind only the kind is reported: its fields are not "unknown", the
                // kind is the root cause.
                if !value.is_object() {
                    self.wrong(p.to_owned(), "an object", value);
                    return None;
                }
                let problem = if kind.is_empty() {
                    Problem::Missing
                } else {
                    Problem::UnknownKind {
                        found: kind.to_owned(),
                        expected: "banner, offer, recommend, welcome, register, chat",
                    }
                };
                self.issue(format!("{p}.kind"), problem);
                return None;
            }
        };
        let m = self.object(value, p, fields)?;
        Some(match kind {
            "banner" => ActionSource::Banner(Banner {
                title: self.req_string(m, "title", p),
                body: self.opt_string(m, "body", p),
                image: self.opt_string(m, "image", p),
                cta: self.link(m, p),
            }),
            "offer" => {
                let mut offer = OfferSource {
                    eligibility,
                    shown: Offer {
                        title: self.req_string(m, "title", p),
                        body: self.opt_string(m, "body", p),
                        code: self.opt_string(m, "code", p),
                        single_use: self.boolean(m, "single_use", p, false),
                        benefit: m
                            .get("benefit")
                            .filter(|b| !b.is_null())
                            .and_then(|b| self.benefit(b, &format!("{p}.benefit"))),
                        redeem: Redeem::None,
                        display: self.display(m, p, OfferSource::DEFAULT_DISPLAY),
                        expires_in_s: self.opt_integer(m, "expires_in_s", p, 1, i64::MAX).map(|n| n as u64),
                        terms: self.opt_string(m, "terms", p),
                        cta: self.link(m, p),
                    },
                };
                let written = self.redeem(m, p);
                let shown = &mut offer.shown;
                shown.redeem =
                    written.unwrap_or_else(|| Redeem::default_for(shown.code.is_some(), shown.benefit.is_some()));
                ActionSource::Offer(offer)
            }
            "recommend" => ActionSource::Recommend(RecommendSource {
                title: self.req_string(m, "title", p),
                count: self.opt_integer(m, "count", p, 1, 24).map_or(RecommendSource::DEFAULT_COUNT, |n| n as u8),
                fallback: self.strings(m, "fallback", p),
            }),
            "welcome" => ActionSource::Welcome(WelcomeSource { template: self.req_string(m, "template", p) }),
            "register" => {
                let questions = self
                    .array(m, "questions", p, true)
                    .iter()
                    .enumerate()
                    .filter_map(|(i, q)| self.question(q, &format!("{p}.questions[{i}]")))
                    .collect();
                let mut reward_eligibility = None;
                let reward = match m.get("reward").filter(|r| !r.is_null()) {
                    Some(r) => {
                        let rp = format!("{p}.reward");
                        reward_eligibility = r.get("eligibility").filter(|e| !e.is_null()).cloned();
                        self.object(r, &rp, &["text", "code", "redeem", "benefit", "eligibility"]).map(|rm| {
                            let code = self.opt_string(rm, "code", &rp);
                            let benefit = rm
                                .get("benefit")
                                .filter(|b| !b.is_null())
                                .and_then(|b| self.benefit(b, &format!("{rp}.benefit")));
                            let redeem = self
                                .redeem(rm, &rp)
                                .unwrap_or_else(|| Redeem::default_for(code.is_some(), benefit.is_some()));
                            Reward { text: self.req_string(rm, "text", &rp), code, redeem, benefit }
                        })
                    }
                    None => None,
                };
                ActionSource::Register(RegisterSource {
                    reward_eligibility,
                    shown: Register {
                        title: self.req_string(m, "title", p),
                        body: self.opt_string(m, "body", p),
                        questions,
                        submit_label: self
                            .opt_string(m, "submit_label", p)
                            .unwrap_or_else(|| Register::DEFAULT_SUBMIT_LABEL.to_owned()),
                        reward,
                        display: self.display(m, p, Register::DEFAULT_DISPLAY),
                    },
                })
            }
            _ => ActionSource::Chat(Chat {
                message: self.opt_string(m, "message", p),
                topic: self.opt_string(m, "topic", p),
            }),
        })
    }

    /// `redeem` as written (the default depends on the other fields: [`Redeem::default_for`]).
    fn redeem(&mut self, map: &Map<String, Value>, p: &str) -> Option<Redeem> {
        match self.opt_string(map, "redeem", p).as_deref() {
            None => None,
            Some("claim") => Some(Redeem::Claim),
            Some("checkout") => Some(Redeem::Checkout),
            Some("code") => Some(Redeem::Code),
            Some("none") => Some(Redeem::None),
            Some(other) => {
                self.issue(
                    format!("{p}.redeem"),
                    Problem::UnknownKind { found: other.to_owned(), expected: "claim, checkout, code, none" },
                );
                None
            }
        }
    }

    /// `{"kind": "percent_off", "percent": 10}`, `{"kind": "amount_off", "amount": 5}`,
    /// `{"kind": "free_shipping"}`.
    fn benefit(&mut self, value: &Value, p: &str) -> Option<Benefit> {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("").to_owned();
        let fields: &[&str] = match kind.as_str() {
            "percent_off" => &["kind", "percent"],
            "amount_off" => &["kind", "amount"],
            "free_shipping" => &["kind"],
            _ => {
                if self.object(value, p, &["kind", "percent", "amount"]).is_some() {
                    let problem = if kind.is_empty() {
                        Problem::Missing
                    } else {
                        Problem::UnknownKind { found: kind, expected: "percent_off, amount_off, free_shipping" }
                    };
                    self.issue(format!("{p}.kind"), problem);
                }
                return None;
            }
        };
        let m = self.object(value, p, fields)?;
        let number = |r: &mut Self, key: &str, max: f64| -> Option<f64> {
            let n = r.required(m, key, p).and_then(|v| match v.as_f64() {
                Some(n) => Some(n),
                None => {
                    r.wrong(Self::field_path(p, key), "a number", v);
                    None
                }
            })?;
            if n > 0.0 && n <= max {
                Some(n)
            } else {
                r.issue(
                    Self::field_path(p, key),
                    Problem::OutOfRange("must be more than 0 (and a percent at most 100)"),
                );
                None
            }
        };
        Some(match kind.as_str() {
            "percent_off" => Benefit::PercentOff { percent: number(self, "percent", 100.0)? },
            "amount_off" => Benefit::AmountOff { amount: number(self, "amount", f64::MAX)? },
            _ => Benefit::FreeShipping,
        })
    }

    fn question(&mut self, value: &Value, p: &str) -> Option<Question> {
        let m = self.object(value, p, &["id", "label", "options", "multiple"])?;
        let options = self
            .array(m, "options", p, true)
            .iter()
            .enumerate()
            .filter_map(|(i, o)| {
                let op = format!("{p}.options[{i}]");
                let om = self.object(o, &op, &["value", "label"])?;
                Some(Choice { value: self.req_string(om, "value", &op), label: self.req_string(om, "label", &op) })
            })
            .collect();
        Some(Question {
            id: self.req_string(m, "id", p),
            label: self.req_string(m, "label", p),
            multiple: self.boolean(m, "multiple", p, false),
            options,
        })
    }

    fn guardrails(&mut self, value: &Value) -> GuardrailsSource {
        let p = "guardrails";
        let defaults = GuardrailsSource::default();
        let Some(m) = self.object(
            value,
            p,
            &[
                "max_interruptions_per_session",
                "min_gap_between_interruptions_s",
                "dismiss_cooldown_s",
                "quiet_page_types",
            ],
        ) else {
            return defaults;
        };
        let quiet_page_types = match m.get("quiet_page_types") {
            None | Some(Value::Null) => defaults.quiet_page_types.clone(),
            Some(_) => self.strings(m, "quiet_page_types", p),
        };
        GuardrailsSource {
            max_interruptions_per_session: self
                .opt_integer(m, "max_interruptions_per_session", p, 0, i64::from(u32::MAX))
                .map_or(defaults.max_interruptions_per_session, |n| n as u32),
            min_gap_between_interruptions_s: self
                .opt_integer(m, "min_gap_between_interruptions_s", p, 0, i64::MAX)
                .map_or(defaults.min_gap_between_interruptions_s, |n| n as u64),
            dismiss_cooldown_s: self
                .opt_integer(m, "dismiss_cooldown_s", p, 0, i64::MAX)
                .map_or(defaults.dismiss_cooldown_s, |n| n as u64),
            quiet_page_types,
        }
    }

    fn product(&mut self, value: &Value, p: &str) -> Option<ProductSource> {
        let m = self.object(value, p, &["name", "category", "price", "url", "image"])?;
        Some(ProductSource {
            name: self.req_string(m, "name", p),
            category: self.opt_string(m, "category", p),
            price: self.opt_number(m, "price", p),
            url: self.req_string(m, "url", p),
            image: self.opt_string(m, "image", p),
        })
    }

    fn affinity(&mut self, value: &Value) -> AffinitySource {
        let mut source = AffinitySource::default();
        let Some(m) = self.object(value, "affinity", &["items", "categories"]) else { return source };
        for (key, table) in [("items", &mut source.items), ("categories", &mut source.categories)] {
            let Some(v) = m.get(key) else { continue };
            let tp = format!("affinity.{key}");
            let Value::Object(entries) = v else {
                self.wrong(tp, "an object", v);
                continue;
            };
            for (from, related) in entries {
                let ep = format!("{tp}{}", crate::logic::compile::key_segment(from));
                let Value::Array(pairs) = related else {
                    self.wrong(ep, "an array of [sku, score] pairs", related);
                    continue;
                };
                let mut list = Vec::with_capacity(pairs.len());
                for (i, pair) in pairs.iter().enumerate() {
                    match pair.as_array().map(Vec::as_slice) {
                        Some([Value::String(sku), Value::Number(score)]) => {
                            list.push((sku.clone(), score.as_f64().unwrap_or(0.0)))
                        }
                        _ => self.wrong(format!("{ep}[{i}]"), "a [sku, score] pair", pair),
                    }
                }
                table.insert(from.clone(), list);
            }
        }
        source
    }
}

/// The wire format as the one reader sees it: the source, or every problem found.
/// What the CLI's lints, templates and explain read a bundle with.
pub fn read_source(bytes: &[u8]) -> Result<BundleSource, super::BundleError> {
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| super::BundleError::Json { path: "(bundle)".into(), message: e.to_string() })?;
    let mut issues = Vec::new();
    let source = Reader { issues: &mut issues }.bundle(&mut value);
    match source {
        Some(source) if issues.is_empty() => Ok(source),
        _ => Err(super::BundleError::Invalid(issues)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(bundle: serde_json::Value) -> Vec<String> {
        match read_source(&serde_json::to_vec(&bundle).unwrap_or_default()) {
            Ok(_) => Vec::new(),
            Err(e) => e.issues().iter().map(|i| i.to_string()).collect(),
        }
    }

    fn bundle(action: serde_json::Value, context: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"version": 1, "serial": 1, "expires_at": "2030-01-01", "placements": [{"id": "hero"}],
            "campaigns": [{"id": "a", "placement": "hero", "action": action}], "context": context})
    }

    #[test]
    fn an_unknown_kind_is_the_only_problem_reported() {
        let found = issues(bundle(
            serde_json::json!({"kind": "bannr", "title": "T", "body": "B", "cta": {"label": "L", "url": "/"}}),
            serde_json::Value::Null,
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("campaigns[0].action.kind: \"bannr\" is not one of"), "{found:?}");
    }

    #[test]
    fn custom_paths_are_declared_with_their_types() {
        let banner = serde_json::json!({"kind": "banner", "title": "T"});
        let read = read_source(
            &serde_json::to_vec(&bundle(banner.clone(), serde_json::json!({"custom.tier": "string"})))
                .unwrap_or_default(),
        );
        assert_eq!(read.ok().map(|b| b.context.get("custom.tier").copied()), Some(Some(crate::context::Kind::Str)));
        let found = issues(bundle(banner, serde_json::json!({"customer.known": "boolean", "custom.n": "int"})));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|f| f.contains("context[\"customer.known\"]: only custom.* paths")), "{found:?}");
        assert!(found.iter().any(|f| f.contains("\"int\" is not one of: string, number")), "{found:?}");
    }
}
