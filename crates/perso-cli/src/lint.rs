//! Lints: things that load fine but are almost certainly not what the marketer meant.
//! Each is a warning with a stable code:
//!
//! - `never-matches`: a campaign whose requirements contradict each other (`==` two
//!   different values on one path, a range that is empty, `in` an empty list, a
//!   constant false condition, an experiment with only a holdout), or whose schedule
//!   has no hour or weekday left;
//! - `shadowed`: a campaign on the same placement with a higher priority (or equal and
//!   earlier) that always shows, needs a subset of this one's requirements, and has no
//!   caps, schedule, experiment or consent requirement of its own: whenever this one
//!   matches, that one wins (until the shopper dismisses it);
//! - `expired-schedule`: a schedule that ended; `bundle-expired`: `expires_at` passed;
//! - `offer-no-expiry`: an offer without `expires_in_s`;
//! - `offer-fakeable`: an offer whose eligibility reads only facts a shopper controls
//!   (referrer, UTM, time on site, pages, device, local state, `custom.*`) and has no
//!   single-use code: anyone can claim it by faking those facts. Facts the store's
//!   server knows at checkout are `customer.*` and `cart.*`;
//! - `recommend-nothing`: a recommendation with no affinity table and no fallback;
//! - `unused-segment`, `empty-placement`.

use perso_core::bundle::source::{ActionSource, BundleSource, CampaignSource};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq)]
pub struct Lint {
    pub code: &'static str,
    pub path: String,
    pub campaign: Option<String>,
    pub message: String,
}

/// Facts a server can re-check at checkout; everything else comes from the shopper's device.
const SERVER_KNOWN_PREFIXES: [&str; 2] = ["customer.", "cart."];

pub fn lint(bytes: &[u8], now_ms: i64) -> Option<Vec<Lint>> {
    let bundle: BundleSource = serde_json::from_slice(bytes).ok()?;
    let mut lints = Vec::new();
    let segments: HashMap<&str, &Value> = bundle.segments.iter().map(|s| (s.id.as_str(), &s.condition)).collect();
    if perso_core::time::parse_rfc3339(&bundle.expires_at).is_some_and(|t| t <= now_ms) {
        lints.push(Lint {
            code: "bundle-expired",
            path: "expires_at".into(),
            campaign: None,
            message: format!(
                "the bundle expired at {}: every host will refuse it (publish with --expires-in-days)",
                bundle.expires_at
            ),
        });
    }
    let required: Vec<Vec<Value>> = bundle.campaigns.iter().map(requirements).collect();
    for (index, campaign) in bundle.campaigns.iter().enumerate() {
        let at = |field: &str| {
            if field.is_empty() {
                format!("campaigns[{index}]")
            } else {
                format!("campaigns[{index}].{field}")
            }
        };
        let mut warn = |code: &'static str, field: &str, message: String| {
            lints.push(Lint { code, path: at(field), campaign: Some(campaign.id.clone()), message })
        };
        if !campaign.enabled {
            continue;
        }
        if let Some(reason) = contradiction(&expanded_atoms(&required[index], &segments)) {
            warn("never-matches", "", format!("campaign `{}` can never match: {reason}", campaign.id));
        }
        if let Some(reason) = empty_schedule(campaign) {
            warn("never-matches", "schedule", format!("campaign `{}` can never match: {reason}", campaign.id));
        }
        if let Some(experiment) = &campaign.experiment {
            if experiment.variants.iter().all(|v| v.weight == 0) && experiment.holdout > 0 {
                warn(
                    "never-matches",
                    "experiment",
                    format!("campaign `{}` holds every visitor out (all variant weights are 0)", campaign.id),
                );
            }
        }
        if let Some(end) = campaign.schedule.as_ref().and_then(|s| s.end.as_deref()) {
            if perso_core::time::parse_rfc3339(end).is_some_and(|t| t <= now_ms) {
                warn(
                    "expired-schedule",
                    "schedule.end",
                    format!("campaign `{}` ended at {end}; remove it or move its end", campaign.id),
                );
            }
        }
        if let Some(winner) = shadowing(&bundle, &required, index) {
            warn(
                "shadowed",
                "",
                format!(
                    "campaign `{}` is shadowed by `{}` (placement `{}`, priority {} ≥ {}): whenever it matches, `{}` matches too and wins, until the shopper dismisses it",
                    campaign.id, winner.id, campaign.placement, winner.priority, campaign.priority, winner.id
                ),
            );
        }
        for (field, action) in actions(campaign) {
            match action {
                ActionSource::Offer(offer) => {
                    if offer.expires_in_s.is_none() {
                        warn(
                            "offer-no-expiry",
                            &format!("{field}.expires_in_s"),
                            format!("offer `{}` has no expiry: a claim that never ends", campaign.id),
                        );
                    }
                    if !offer.single_use {
                        let rule_paths = match &offer.eligibility {
                            Some(eligibility) => paths_of(std::slice::from_ref(eligibility), &segments),
                            None => paths_of(&required[index], &segments),
                        };
                        let server_known =
                            rule_paths.iter().any(|p| SERVER_KNOWN_PREFIXES.iter().any(|s| p.starts_with(s)));
                        if !rule_paths.is_empty() && !server_known {
                            warn(
                                "offer-fakeable",
                                &format!("{field}.single_use"),
                                format!(
                                    "offer `{}` rests only on facts a shopper can fake ({}) and its code is not single-use: set single_use: true, or add an eligibility the checkout can check (customer.*, cart.*)",
                                    campaign.id,
                                    rule_paths.iter().cloned().collect::<Vec<_>>().join(", ")
                                ),
                            );
                        }
                    }
                }
                ActionSource::Recommend(recommend)
                    if recommend.fallback.is_empty()
                        && bundle.affinity.items.is_empty()
                        && bundle.affinity.categories.is_empty() =>
                {
                    warn("recommend-nothing", &field, format!("campaign `{}` recommends from an empty affinity table and has no fallback: it never shows (run `perso profiles`)", campaign.id));
                }
                _ => {}
            }
        }
    }
    let used: BTreeSet<String> = bundle
        .campaigns
        .iter()
        .flat_map(|c| requirements(c).into_iter())
        .chain(bundle.segments.iter().map(|s| s.condition.clone()))
        .flat_map(|rule| segment_refs(&rule))
        .collect();
    for (i, segment) in bundle.segments.iter().enumerate() {
        if !used.contains(&segment.id) {
            lints.push(Lint {
                code: "unused-segment",
                path: format!("segments[{i}]"),
                campaign: None,
                message: format!("segment `{}` is not used by any campaign", segment.id),
            });
        }
    }
    for (i, placement) in bundle.placements.iter().enumerate() {
        if !bundle.campaigns.iter().any(|c| c.placement == placement.id && c.enabled) {
            lints.push(Lint {
                code: "empty-placement",
                path: format!("placements[{i}]"),
                campaign: None,
                message: format!("placement `{}` has no enabled campaign", placement.id),
            });
        }
    }
    Some(lints)
}

/// The campaign's action and its variants' actions, with their JSON paths.
fn actions(campaign: &CampaignSource) -> Vec<(String, &ActionSource)> {
    let mut out = vec![("action".to_owned(), &campaign.action)];
    if let Some(experiment) = &campaign.experiment {
        for (i, variant) in experiment.variants.iter().enumerate() {
            if let Some(action) = &variant.action {
                out.push((format!("experiment.variants[{i}].action"), action));
            }
        }
    }
    out
}

/// Everything a campaign requires, as a conjunction: `{"segment": id}` per segment, then
/// the condition's top-level `and` members.
fn requirements(campaign: &CampaignSource) -> Vec<Value> {
    let mut atoms: Vec<Value> = campaign.segments.iter().map(|s| serde_json::json!({ "segment": s })).collect();
    if let Some(condition) = &campaign.condition {
        flatten_and(condition, &mut atoms);
    }
    atoms
}

fn flatten_and(rule: &Value, out: &mut Vec<Value>) {
    match rule.as_object().and_then(|o| if o.len() == 1 { o.get("and") } else { None }) {
        Some(Value::Array(members)) => members.iter().for_each(|m| flatten_and(m, out)),
        _ => out.push(rule.clone()),
    }
}

/// The atoms with segment references replaced by the segments' own atoms (a bounded
/// number of times, so a cycle — refused at load anyway — cannot loop).
fn expanded_atoms(atoms: &[Value], segments: &HashMap<&str, &Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut queue: Vec<(Value, u8)> = atoms.iter().map(|a| (a.clone(), 0)).collect();
    while let Some((atom, depth)) = queue.pop() {
        let referenced =
            atom.get("segment").and_then(|s| s.as_str()).and_then(|s| segments.get(s)).filter(|_| depth < 16);
        match referenced {
            Some(condition) => {
                let mut inner = Vec::new();
                flatten_and(condition, &mut inner);
                queue.extend(inner.into_iter().map(|a| (a, depth + 1)));
            }
            None => out.push(atom),
        }
    }
    out
}

fn segment_refs(rule: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(rule, &mut |op, args| {
        if op == "segment" {
            if let Some(id) = args.as_str().or_else(|| args.get(0).and_then(|a| a.as_str())) {
                out.push(id.to_owned());
            }
        }
    });
    out
}

/// Every `var` path read by the rules, segments followed.
fn paths_of(rules: &[Value], segments: &HashMap<&str, &Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for atom in expanded_atoms(rules, segments) {
        let mut nested_segments = Vec::new();
        walk(&atom, &mut |op, args| match op {
            "var" => {
                if let Some(path) = args.as_str().or_else(|| args.get(0).and_then(|a| a.as_str())) {
                    out.insert(path.to_owned());
                }
            }
            "segment" => nested_segments.extend(args.as_str().map(|s| serde_json::json!({ "segment": s }))),
            _ => {}
        });
        if !nested_segments.is_empty() {
            out.extend(paths_of(&nested_segments, segments));
        }
    }
    out
}

fn walk(rule: &Value, visit: &mut dyn FnMut(&str, &Value)) {
    match rule {
        Value::Object(map) if map.len() == 1 => {
            for (op, args) in map {
                visit(op, args);
                walk(args, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, visit)),
        _ => {}
    }
}

/// A reason the conjunction of `atoms` is unsatisfiable, for the simple cases.
fn contradiction(atoms: &[Value]) -> Option<String> {
    let mut equal: HashMap<String, Value> = HashMap::new();
    let mut low: HashMap<String, (f64, bool)> = HashMap::new(); // (bound, inclusive)
    let mut high: HashMap<String, (f64, bool)> = HashMap::new();
    for atom in atoms {
        if atom.is_boolean() || atom.is_null() || (atom.is_object() && !walk_has_var(atom)) {
            if let Ok(result) = perso_core::logic::apply(atom, &Value::Null) {
                if !truthy(&result) {
                    return Some(format!("`{atom}` is always false"));
                }
            }
            continue;
        }
        let Some((op, path, constant)) = comparison(atom) else { continue };
        match op.as_str() {
            "==" | "===" => {
                if let Some(previous) = equal.get(&path) {
                    if previous != &constant {
                        return Some(format!("`{path}` cannot equal both {previous} and {constant}"));
                    }
                }
                if let Some(n) = constant.as_f64() {
                    low.entry(path.clone()).and_modify(|b| tighten_low(b, n, true)).or_insert((n, true));
                    high.entry(path.clone()).and_modify(|b| tighten_high(b, n, true)).or_insert((n, true));
                }
                equal.insert(path, constant);
            }
            "in" if constant.as_array().is_some_and(|a| a.is_empty()) => {
                return Some(format!("`{path}` cannot be in an empty list"))
            }
            ">" | ">=" | "<" | "<=" => {
                let Some(n) = constant.as_f64() else { continue };
                let inclusive = op.ends_with('=');
                if op.starts_with('>') {
                    low.entry(path).and_modify(|b| tighten_low(b, n, inclusive)).or_insert((n, inclusive));
                } else {
                    high.entry(path).and_modify(|b| tighten_high(b, n, inclusive)).or_insert((n, inclusive));
                }
            }
            _ => {}
        }
    }
    for (path, (lo, lo_inclusive)) in &low {
        if let Some((hi, hi_inclusive)) = high.get(path) {
            if lo > hi || (lo == hi && !(*lo_inclusive && *hi_inclusive)) {
                return Some(format!(
                    "`{path}` cannot be both {} {lo} and {} {hi}",
                    if *lo_inclusive { "≥" } else { ">" },
                    if *hi_inclusive { "≤" } else { "<" }
                ));
            }
        }
    }
    None
}

fn walk_has_var(rule: &Value) -> bool {
    let mut found = false;
    walk(rule, &mut |op, _| found |= matches!(op, "var" | "segment" | "fractional" | "missing" | "missing_some"));
    found
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn tighten_low(bound: &mut (f64, bool), n: f64, inclusive: bool) {
    if n > bound.0 || (n == bound.0 && !inclusive) {
        *bound = (n, inclusive);
    }
}

fn tighten_high(bound: &mut (f64, bool), n: f64, inclusive: bool) {
    if n < bound.0 || (n == bound.0 && !inclusive) {
        *bound = (n, inclusive);
    }
}

/// `{op: [{"var": path}, constant]}` (or the constant first, with the operator mirrored).
fn comparison(atom: &Value) -> Option<(String, String, Value)> {
    let (op, args) = atom.as_object().filter(|o| o.len() == 1)?.iter().next()?;
    let [a, b] = args.as_array()?.as_slice() else { return None };
    let var = |v: &Value| v.get("var").and_then(|p| p.as_str().map(str::to_owned));
    let constant = |v: &Value| !v.is_object();
    if let (Some(path), true) = (var(a), constant(b)) {
        return Some((op.clone(), path, b.clone()));
    }
    if let (true, Some(path)) = (constant(a), var(b)) {
        let mirrored = match op.as_str() {
            ">" => "<",
            ">=" => "<=",
            "<" => ">",
            "<=" => ">=",
            "==" | "===" => op.as_str(),
            _ => return None,
        };
        return Some((mirrored.to_owned(), path, a.clone()));
    }
    None
}

fn empty_schedule(campaign: &CampaignSource) -> Option<String> {
    let schedule = campaign.schedule.as_ref()?;
    if let Some([from, to]) = schedule.hours {
        if from == to {
            return Some(format!("schedule hours [{from}, {to}) hold no hour"));
        }
    }
    match &schedule.weekdays {
        Some(days) if days.is_empty() => Some("schedule weekdays is empty".into()),
        _ => None,
    }
}

/// The campaign that always wins over `index` whenever `index` matches, if any.
fn shadowing<'a>(bundle: &'a BundleSource, requirements: &[Vec<Value>], index: usize) -> Option<&'a CampaignSource> {
    let campaign = &bundle.campaigns[index];
    bundle.campaigns.iter().enumerate().find_map(|(i, other)| {
        let ranks_higher = other.priority > campaign.priority || (other.priority == campaign.priority && i < index);
        let always_shows = matches!(
            other.action,
            ActionSource::Banner(_) | ActionSource::Offer(_) | ActionSource::Register(_) | ActionSource::Chat(_)
        );
        let unrestricted = other.enabled
            && other.schedule.is_none()
            && other.experiment.is_none()
            && other.caps.per_session.is_none()
            && other.caps.per_visitor.is_none()
            && (!other.requires_consent || campaign.requires_consent)
            && other.trigger == campaign.trigger;
        let subset = requirements[i].iter().all(|atom| requirements[index].contains(atom));
        (i != index && other.placement == campaign.placement && ranks_higher && always_shows && unrestricted && subset)
            .then_some(other)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contradictions() {
        assert!(contradiction(&[json!({"==": [{"var": "a"}, 1]}), json!({"==": [{"var": "a"}, 2]})]).is_some());
        assert!(contradiction(&[json!({">=": [{"var": "n"}, 5]}), json!({"<": [{"var": "n"}, 5]})]).is_some());
        assert!(contradiction(&[json!({">": [10, {"var": "n"}]}), json!({">": [{"var": "n"}, 20]})]).is_some());
        assert!(contradiction(&[json!(false)]).is_some());
        assert!(contradiction(&[json!({">=": [{"var": "n"}, 5]}), json!({"<=": [{"var": "n"}, 5]})]).is_none());
        assert!(contradiction(&[json!({"==": [{"var": "a"}, 1]}), json!({"==": [{"var": "b"}, 2]})]).is_none());
    }
}
