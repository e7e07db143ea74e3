//! Source -> [`CompiledBundle`]: every check the format defines, all problems
//! collected (not just the first), each with the JSON path a marketer can find.

use super::source::*;
use super::*;
use crate::context::Schema;
use crate::decision::{Link, Product, Question};
use crate::logic::compile::{compile as compile_logic, key_segment, required_slots, Mode, SchemaResolver, VarPath};
use crate::time::parse_rfc3339;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Parses, validates and compiles a bundle.
pub fn compile(bytes: &[u8], limits: &Limits) -> Result<CompiledBundle, BundleError> {
    if bytes.len() > limits.max_bytes {
        return Err(BundleError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| BundleError::Json { path: "(bundle)".into(), message: e.to_string() })?;
    // A bundle of another format would fail on its fields; its version is the news.
    if let Some(found) = value.get("version").and_then(Value::as_u64).filter(|v| *v != FORMAT_VERSION) {
        return Err(BundleError::UnsupportedVersion { found });
    }
    let mut issues = Vec::new();
    let source = super::read::Reader { issues: &mut issues }.bundle(&mut value);
    drop(value);
    let Some(source) = source else { return Err(BundleError::Invalid(issues)) };
    // Semantic checks run even after type errors (on what could be read), so a
    // marketer sees every problem at once.
    match compile_source(&source, limits) {
        Ok(bundle) if issues.is_empty() => Ok(bundle),
        Ok(_) => Err(BundleError::Invalid(issues)),
        Err(BundleError::Invalid(more)) => {
            issues.extend(more);
            Err(BundleError::Invalid(issues))
        }
        Err(other) => Err(other),
    }
}

/// Validates and compiles an already-parsed source (the CLI lints this way).
pub fn compile_source(source: &BundleSource, limits: &Limits) -> Result<CompiledBundle, BundleError> {
    let mut c = Compiler::default();
    let bundle = c.bundle(source, limits);
    if c.issues.is_empty() {
        Ok(bundle)
    } else {
        Err(BundleError::Invalid(c.issues))
    }
}

#[derive(Default)]
struct Compiler {
    issues: Vec<BundleIssue>,
    warnings: Vec<BundleIssue>,
    schema: Schema,
    segment_index: HashMap<String, u16>,
    segment_required: Vec<u64>,
    thresholds: Vec<u32>,
}

/// Resolves paths into the bundle's schema and segments by id while compiling one
/// condition, recording which segments it refers to.
struct Resolver<'r> {
    schema: &'r mut Schema,
    segments: &'r HashMap<String, u16>,
    refs: &'r mut Vec<u16>,
    owner: &'r str,
}

impl SchemaResolver for Resolver<'_> {
    fn var(&mut self, path: &str) -> VarPath {
        self.schema.var(path)
    }
    fn segment(&mut self, id: &str) -> Option<u16> {
        let index = self.segments.get(id).copied()?;
        self.refs.push(index);
        Some(index)
    }
    fn owner(&self) -> &str {
        self.owner
    }
}

fn valid_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || (url.starts_with('/') && !url.starts_with("//"))
}

/// Template fields that would show the shopper what perso inferred about them.
fn sensitive(path: &str) -> bool {
    path.starts_with("customer.ltv_band")
        || path.starts_with("customer.rfm")
        || path.starts_with("customer.segments")
        || path.starts_with("visitor.interests")
}

impl Compiler {
    fn issue(&mut self, path: impl Into<String>, problem: Problem) {
        self.issues.push(BundleIssue { path: path.into(), problem });
    }

    fn condition(&mut self, rule: &Value, path: &str, owner: &str, refs: &mut Vec<u16>) -> Option<Expr> {
        let segments = std::mem::take(&mut self.segment_index);
        let mode = Mode::Schema(&mut Resolver { schema: &mut self.schema, segments: &segments, refs, owner });
        let result = compile_logic(rule, mode, path);
        self.segment_index = segments;
        collect_thresholds(rule, &mut self.thresholds);
        match result {
            Ok(expr) => Some(expr),
            Err(error) => {
                self.issue(error.path, Problem::Condition(error.problem));
                None
            }
        }
    }

    fn time(&mut self, text: &str, path: &str) -> Option<i64> {
        let parsed = parse_rfc3339(text);
        if parsed.is_none() {
            self.issue(path, Problem::BadTime(text.to_owned()));
        }
        parsed
    }

    fn url(&mut self, url: &str, path: &str) {
        if !valid_url(url) {
            self.issue(path, Problem::BadUrl(url.to_owned()));
        }
    }

    fn limit(&mut self, count: usize, limit: usize, path: &str, what: &'static str) {
        if count > limit {
            self.issue(path, Problem::TooMany { what, limit });
        }
    }

    fn bundle(&mut self, source: &BundleSource, limits: &Limits) -> CompiledBundle {
        self.limit(source.campaigns.len(), limits.max_campaigns, "campaigns", "campaigns");
        self.limit(source.segments.len(), limits.max_segments, "segments", "segments");
        self.limit(source.placements.len(), limits.max_placements, "placements", "placements");
        self.limit(source.products.len(), limits.max_products, "products", "products");
        let expires_at_ms = self.time(&source.expires_at, "expires_at").unwrap_or(i64::MIN);
        if let Some(issued) = &source.issued_at {
            self.time(issued, "issued_at");
        }
        if source.utc_offset_minutes.abs() > 14 * 60 {
            self.issue("utc_offset_minutes", Problem::OutOfRange("must be between -840 and 840 minutes"));
        }

        let placement_index = self.placements(&source.placements);
        let segments = self.segments(&source.segments);
        let (products, product_categories, product_index) = self.products(&source.products);
        let affinity_items =
            self.affinity(&source.affinity.items, "affinity.items", &product_index, Some(&product_index));
        let affinity_categories =
            self.affinity(&source.affinity.categories, "affinity.categories", &product_index, None);

        let guardrails = Guardrails {
            max_interruptions_per_session: source.guardrails.max_interruptions_per_session,
            min_gap_ms: source.guardrails.min_gap_between_interruptions_s.saturating_mul(1000) as i64,
            dismiss_cooldown_ms: source.guardrails.dismiss_cooldown_s.saturating_mul(1000) as i64,
        };

        let mut seen = HashSet::new();
        let mut campaigns = Vec::with_capacity(source.campaigns.len());
        for (i, campaign) in source.campaigns.iter().enumerate() {
            let path = format!("campaigns[{i}]");
            if campaign.id.is_empty() {
                self.issue(format!("{path}.id"), Problem::Empty);
            } else if !seen.insert(campaign.id.as_str()) {
                self.issue(format!("{path}.id"), Problem::DuplicateId { kind: "campaign", id: campaign.id.clone() });
            }
            if let Some(compiled) = self.campaign(campaign, &path, &placement_index, &product_index, &guardrails) {
                campaigns.push(compiled);
            }
        }
        let mut placements: Vec<CompiledPlacement> =
            source.placements.iter().map(|p| CompiledPlacement { id: p.id.clone(), campaigns: Vec::new() }).collect();
        for (index, campaign) in campaigns.iter().enumerate() {
            if let Some(placement) = placements.get_mut(usize::from(campaign.placement)) {
                placement.campaigns.push(index as u32);
            }
        }
        for placement in &mut placements {
            // Highest priority first; the sort is stable, so ties keep bundle order.
            placement.campaigns.sort_by_key(|&i| std::cmp::Reverse(campaigns[i as usize].priority));
        }
        let campaign_index = campaigns.iter().enumerate().map(|(i, c)| (c.id.clone(), i as u32)).collect();
        let known = KnownSlots {
            consent_personalization: self.schema.existing_slot("consent.personalization"),
            consent_gpc: self.schema.existing_slot("consent.gpc"),
            time_hour: self.schema.existing_slot("time.hour"),
            time_weekday: self.schema.existing_slot("time.weekday"),
            cart_items: self.schema.existing_slot("cart.items"),
            interests: match self.schema.existing_var("visitor.interests") {
                Some(VarPath::Derived(i)) => Some(i),
                _ => None,
            },
        };
        let mut thresholds = std::mem::take(&mut self.thresholds);
        thresholds.sort_unstable();
        thresholds.dedup();
        CompiledBundle {
            serial: source.serial,
            expires_at_ms,
            utc_offset_minutes: source.utc_offset_minutes,
            placements,
            segments,
            campaigns,
            schema: std::mem::take(&mut self.schema),
            guardrails,
            products,
            product_categories,
            product_index,
            affinity_items,
            affinity_categories,
            time_on_site_thresholds: thresholds,
            warnings: std::mem::take(&mut self.warnings),
            campaign_index,
            known,
        }
    }

    fn placements(&mut self, placements: &[PlacementSource]) -> HashMap<String, u16> {
        let mut index = HashMap::new();
        for (i, placement) in placements.iter().enumerate() {
            let path = format!("placements[{i}].id");
            if placement.id.is_empty() {
                self.issue(path, Problem::Empty);
            } else if index.insert(placement.id.clone(), i as u16).is_some() {
                self.issue(path, Problem::DuplicateId { kind: "placement", id: placement.id.clone() });
            }
        }
        index
    }

    fn segments(&mut self, segments: &[SegmentSource]) -> Vec<CompiledSegment> {
        for (i, segment) in segments.iter().enumerate() {
            let path = format!("segments[{i}].id");
            if segment.id.is_empty() {
                self.issue(path, Problem::Empty);
            } else if self.segment_index.insert(segment.id.clone(), i as u16).is_some() {
                self.issue(path, Problem::DuplicateId { kind: "segment", id: segment.id.clone() });
            }
        }
        let mut compiled = Vec::with_capacity(segments.len());
        let mut edges = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let path = format!("segments[{i}].condition");
            let mut refs = Vec::new();
            let condition = self.condition(&segment.condition, &path, &segment.id, &mut refs);
            edges.push(refs);
            compiled.push(CompiledSegment {
                id: segment.id.clone(),
                condition: condition.unwrap_or(Expr::Lit(crate::logic::Datum::Bool(false))),
                source: segment.condition.clone(),
                path,
            });
        }
        self.segment_required = compiled.iter().map(|s| required_slots(&s.condition)).collect();
        if let Some(cycle) = find_cycle(&edges) {
            let names: Vec<&str> = cycle.iter().map(|&i| segments[usize::from(i)].id.as_str()).collect();
            let first = cycle.first().copied().unwrap_or(0);
            self.issue(format!("segments[{first}].condition"), Problem::SegmentCycle(names.join(" -> ")));
        }
        compiled
    }

    #[allow(clippy::type_complexity)]
    fn products(
        &mut self,
        products: &std::collections::BTreeMap<String, ProductSource>,
    ) -> (Vec<Product>, Vec<Option<String>>, HashMap<String, u32>) {
        let mut list = Vec::with_capacity(products.len());
        let mut categories = Vec::with_capacity(products.len());
        let mut index = HashMap::with_capacity(products.len());
        for (sku, product) in products {
            let path = format!("products{}", key_segment(sku));
            self.url(&product.url, &format!("{path}.url"));
            if let Some(image) = &product.image {
                self.url(image, &format!("{path}.image"));
            }
            index.insert(sku.clone(), list.len() as u32);
            categories.push(product.category.clone());
            list.push(Product {
                sku: sku.clone(),
                name: product.name.clone(),
                price: product.price,
                url: product.url.clone(),
                image: product.image.clone(),
            });
        }
        (list, categories, index)
    }

    fn affinity(
        &mut self,
        table: &std::collections::BTreeMap<String, Vec<(String, f64)>>,
        path: &str,
        products: &HashMap<String, u32>,
        keys_are_products: Option<&HashMap<String, u32>>,
    ) -> HashMap<String, Vec<(u32, f64)>> {
        let mut compiled = HashMap::with_capacity(table.len());
        for (key, related) in table {
            let key_path = format!("{path}{}", key_segment(key));
            if keys_are_products.is_some_and(|p| !p.contains_key(key)) {
                self.warnings
                    .push(BundleIssue { path: key_path.clone(), problem: Problem::UnknownProduct(key.clone()) });
            }
            let mut entries = Vec::with_capacity(related.len());
            for (j, (sku, score)) in related.iter().enumerate() {
                match products.get(sku) {
                    Some(index) if score.is_finite() => entries.push((*index, *score)),
                    Some(_) => {
                        self.issue(format!("{key_path}[{j}][1]"), Problem::OutOfRange("score must be a finite number"))
                    }
                    None => self.warnings.push(BundleIssue {
                        path: format!("{key_path}[{j}][0]"),
                        problem: Problem::UnknownProduct(sku.clone()),
                    }),
                }
            }
            compiled.insert(key.clone(), entries);
        }
        compiled
    }

    fn campaign(
        &mut self,
        source: &CampaignSource,
        path: &str,
        placements: &HashMap<String, u16>,
        products: &HashMap<String, u32>,
        guardrails: &Guardrails,
    ) -> Option<CompiledCampaign> {
        let placement = placements.get(&source.placement).copied();
        if placement.is_none() {
            self.issue(format!("{path}.placement"), Problem::UnknownPlacement(source.placement.clone()));
        }
        let mut segments = Vec::with_capacity(source.segments.len());
        for (j, id) in source.segments.iter().enumerate() {
            match self.segment_index.get(id) {
                Some(index) => segments.push(*index),
                None => self.issue(format!("{path}.segments[{j}]"), Problem::UnknownSegment(id.clone())),
            }
        }
        let mut refs = Vec::new();
        let condition = match &source.condition {
            Some(rule) => Some(self.condition(rule, &format!("{path}.condition"), &source.id, &mut refs)?),
            None => None,
        };
        let schedule = source.schedule.as_ref().map(|s| self.schedule(s, &format!("{path}.schedule")));
        if let TriggerSource::Scroll { percent } = source.trigger {
            if !(1..=100).contains(&percent) {
                self.issue(format!("{path}.trigger.percent"), Problem::OutOfRange("must be 1-100"));
            }
        }
        if source.requires_consent {
            self.schema.var("consent.personalization");
            self.schema.var("consent.gpc");
        }
        let action = self.action(&source.action, &format!("{path}.action"), products)?;
        let experiment = match &source.experiment {
            Some(e) => Some(self.experiment(e, &format!("{path}.experiment"), &source.id, &action, products)?),
            None => None,
        };
        let eligibility = match &source.action {
            ActionSource::Offer(OfferSource { eligibility: Some(rule), .. }) => {
                Some(self.condition(rule, &format!("{path}.action.eligibility"), &source.id, &mut refs)?)
            }
            _ => None,
        };
        let required = segments
            .iter()
            .filter_map(|s| self.segment_required.get(usize::from(*s)))
            .fold(condition.as_ref().map_or(0, required_slots), |mask, m| mask | m);
        let why = source.why.clone().unwrap_or_else(|| {
            if source.condition.is_none() && source.segments.is_empty() {
                "This is shown to everyone visiting the store.".to_owned()
            } else {
                "Based on what you are doing on this site right now.".to_owned()
            }
        });
        Some(CompiledCampaign {
            id: source.id.clone(),
            placement: placement?,
            priority: source.priority,
            enabled: source.enabled,
            segments,
            condition,
            condition_source: source.condition.clone(),
            path: path.to_owned(),
            schedule,
            caps: Caps {
                per_session: source.caps.per_session,
                per_visitor: source.caps.per_visitor,
                dismiss_cooldown_ms: source
                    .caps
                    .cooldown_after_dismiss_s
                    .map_or(guardrails.dismiss_cooldown_ms, |s| s.saturating_mul(1000) as i64),
            },
            requires_consent: source.requires_consent,
            trigger: source.trigger.clone(),
            experiment,
            interruption: action.interrupts(),
            action,
            why,
            eligibility,
            required,
        })
    }

    fn schedule(&mut self, source: &ScheduleSource, path: &str) -> Schedule {
        let start_ms = source.start.as_ref().and_then(|s| self.time(s, &format!("{path}.start")));
        let end_ms = source.end.as_ref().and_then(|s| self.time(s, &format!("{path}.end")));
        if let (Some(start), Some(end)) = (start_ms, end_ms) {
            if end <= start {
                self.issue(path, Problem::EmptySchedule);
            }
        }
        let hours = source.hours.map(|[from, to]| {
            if from > 24 || to > 24 || from == to {
                self.issue(format!("{path}.hours"), Problem::OutOfRange("[from, to) hours must be 0-24 and differ"));
            }
            (from, to)
        });
        let weekdays = source.weekdays.as_ref().map(|days| {
            let mut mask = 0u8;
            for (j, day) in days.iter().enumerate() {
                if (1..=7).contains(day) {
                    mask |= 1 << day;
                } else {
                    self.issue(
                        format!("{path}.weekdays[{j}]"),
                        Problem::OutOfRange("weekdays are 1 (Monday) to 7 (Sunday)"),
                    );
                }
            }
            mask
        });
        if hours.is_some() || weekdays.is_some() {
            self.schema.var("time.hour");
            self.schema.var("time.weekday");
        }
        Schedule { start_ms, end_ms, hours, weekdays }
    }

    fn experiment(
        &mut self,
        source: &ExperimentSource,
        path: &str,
        campaign: &str,
        campaign_action: &ActionTemplate,
        products: &HashMap<String, u32>,
    ) -> Option<Experiment> {
        if source.variants.is_empty() {
            self.issue(format!("{path}.variants"), Problem::Empty);
        }
        if source.holdout < 0 {
            self.issue(format!("{path}.holdout"), Problem::NegativeWeight);
        }
        let mut ids = HashSet::new();
        let mut variants = Vec::with_capacity(source.variants.len());
        for (j, variant) in source.variants.iter().enumerate() {
            let vpath = format!("{path}.variants[{j}]");
            if variant.id.is_empty() {
                self.issue(format!("{vpath}.id"), Problem::Empty);
            } else if !ids.insert(variant.id.as_str()) {
                self.issue(format!("{vpath}.id"), Problem::DuplicateId { kind: "variant", id: variant.id.clone() });
            }
            if variant.weight < 0 {
                self.issue(format!("{vpath}.weight"), Problem::NegativeWeight);
            }
            let action = match &variant.action {
                Some(a) => {
                    let compiled = self.action(a, &format!("{vpath}.action"), products)?;
                    if compiled.interrupts() != campaign_action.interrupts() {
                        self.issue(
                            format!("{vpath}.action.kind"),
                            Problem::OutOfRange(
                                "a variant must interrupt the shopper exactly when the campaign's own action does",
                            ),
                        );
                    }
                    Some(compiled)
                }
                None => None,
            };
            variants.push(Variant { id: variant.id.clone(), weight: variant.weight, action });
        }
        let total: i64 = variants.iter().map(|v| v.weight.max(0)).sum::<i64>() + source.holdout.max(0);
        if !source.variants.is_empty() && total == 0 {
            self.issue(format!("{path}.variants"), Problem::AllZeroWeights);
        }
        Some(Experiment {
            salt: source.salt.clone().unwrap_or_else(|| campaign.to_owned()),
            variants,
            holdout: source.holdout,
        })
    }

    fn link(&mut self, link: &Option<LinkSource>, path: &str) -> Option<Link> {
        let link = link.as_ref()?;
        self.url(&link.url, &format!("{path}.cta.url"));
        Some(Link { label: link.label.clone(), url: link.url.clone() })
    }

    fn action(&mut self, source: &ActionSource, path: &str, products: &HashMap<String, u32>) -> Option<ActionTemplate> {
        Some(match source {
            ActionSource::Banner(b) => {
                if let Some(image) = &b.image {
                    self.url(image, &format!("{path}.image"));
                }
                ActionTemplate::Banner {
                    title: b.title.clone(),
                    body: b.body.clone(),
                    image: b.image.clone(),
                    cta: self.link(&b.cta, path),
                }
            }
            ActionSource::Offer(o) => ActionTemplate::Offer {
                title: o.title.clone(),
                body: o.body.clone(),
                code: o.code.clone(),
                single_use: o.single_use,
                display: o.display,
                expires_in_s: o.expires_in_s,
                terms: o.terms.clone(),
                cta: self.link(&o.cta, path),
            },
            ActionSource::Recommend(r) => {
                if !(1..=24).contains(&r.count) {
                    self.issue(format!("{path}.count"), Problem::OutOfRange("count must be 1-24"));
                }
                let mut fallback = Vec::new();
                for (j, sku) in r.fallback.iter().enumerate() {
                    match products.get(sku) {
                        Some(index) => fallback.push(*index),
                        None => self.issue(format!("{path}.fallback[{j}]"), Problem::UnknownProduct(sku.clone())),
                    }
                }
                self.schema.var("cart.items");
                self.schema.var("visitor.interests");
                ActionTemplate::Recommend { title: r.title.clone(), count: usize::from(r.count), fallback }
            }
            ActionSource::Welcome(w) => {
                ActionTemplate::Welcome { parts: self.template(&w.template, &format!("{path}.template"))? }
            }
            ActionSource::Register(r) => {
                if r.questions.is_empty() {
                    self.issue(format!("{path}.questions"), Problem::Empty);
                }
                let mut ids = HashSet::new();
                for (j, q) in r.questions.iter().enumerate() {
                    if !ids.insert(q.id.as_str()) {
                        self.issue(
                            format!("{path}.questions[{j}].id"),
                            Problem::DuplicateId { kind: "question", id: q.id.clone() },
                        );
                    }
                    if q.options.is_empty() {
                        self.issue(format!("{path}.questions[{j}].options"), Problem::Empty);
                    }
                }
                ActionTemplate::Register {
                    title: r.title.clone(),
                    body: r.body.clone(),
                    questions: r
                        .questions
                        .iter()
                        .map(|q| Question {
                            id: q.id.clone(),
                            label: q.label.clone(),
                            multiple: q.multiple,
                            options: q.options.clone(),
                        })
                        .collect(),
                    submit_label: r.submit_label.clone(),
                    reward: r.reward.clone(),
                }
            }
            ActionSource::Chat(c) => ActionTemplate::Chat { message: c.message.clone(), topic: c.topic.clone() },
        })
    }

    /// `"Welcome back, {customer.first_name}!"` -> text and field parts.
    fn template(&mut self, template: &str, path: &str) -> Option<Vec<TemplatePart>> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_owned()));
            }
            let Some(close) = rest[open..].find('}') else {
                self.issue(path, Problem::BadTemplate("is not closed with }".into()));
                return None;
            };
            let field = rest[open + 1..open + close].trim();
            if field.is_empty() || field.contains('{') {
                self.issue(path, Problem::BadTemplate(format!("\"{field}\" is not a context path")));
                return None;
            }
            if sensitive(field) {
                self.issue(
                    path,
                    Problem::BadTemplate(format!(
                        "\"{field}\" would show the shopper a tier, segment or inferred interest"
                    )),
                );
                return None;
            }
            parts.push(TemplatePart::Field(self.schema.var(field)));
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            self.issue(path, Problem::BadTemplate("has a } without {".into()));
            return None;
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        Some(parts)
    }
}

/// A cycle among segment references, as segment indices, if there is one.
fn find_cycle(edges: &[Vec<u16>]) -> Option<Vec<u16>> {
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut mark = vec![0u8; edges.len()];
    let mut stack: Vec<u16> = Vec::new();
    fn visit(node: u16, edges: &[Vec<u16>], mark: &mut [u8], stack: &mut Vec<u16>) -> Option<Vec<u16>> {
        mark[usize::from(node)] = 1;
        stack.push(node);
        for &next in edges.get(usize::from(node)).map(Vec::as_slice).unwrap_or(&[]) {
            match mark.get(usize::from(next)) {
                Some(1) => {
                    let start = stack.iter().position(|&n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next);
                    return Some(cycle);
                }
                Some(0) => {
                    if let Some(cycle) = visit(next, edges, mark, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        mark[usize::from(node)] = 2;
        None
    }
    for node in 0..edges.len() {
        if mark[node] == 0 {
            if let Some(cycle) = visit(node as u16, edges, &mut mark, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// Seconds of `session.time_on_site_s` at which a comparison flips, so a host can
/// set timers instead of polling.
fn collect_thresholds(rule: &Value, out: &mut Vec<u32>) {
    match rule {
        Value::Object(map) => {
            for (op, args) in map {
                if let (">" | ">=" | "<" | "<=" | "==" | "===", Value::Array(items)) = (op.as_str(), args) {
                    let reads_time =
                        items.iter().any(|i| i.get("var").and_then(Value::as_str) == Some("session.time_on_site_s"));
                    if reads_time {
                        for n in items.iter().filter_map(Value::as_f64) {
                            if n >= 0.0 && n < f64::from(u32::MAX) {
                                let at = if op == ">" { n.floor() + 1.0 } else { n.ceil() };
                                out.push(at as u32);
                            }
                        }
                    }
                }
                collect_thresholds(args, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_thresholds(i, out)),
        _ => {}
    }
}
