//! Source -> compiled bundle ([`Program`] + [`HostView`]): every check the format
//! defines, all problems collected (not just the first), each with the JSON path a
//! marketer can find. The one compiler: `perso publish` runs it natively, the wasm
//! package's `compileBundle` runs the very same code, so the binary form and the
//! JSON source cannot disagree.

use super::read::Reader;
use super::source::*;
use super::{BundleError, BundleIssue, Limits, Problem};
use crate::context::{Schema, DERIVED_PATHS, TIME_ON_SITE};
use crate::host::{HostAction, HostCampaign, HostVariant, HostView};
use crate::limits::{MAX_CONDITION_COST, MAX_SEGMENT_NESTING, MAX_SERIAL};
use crate::logic::compile::{compile as compile_logic, key_segment, Mode, NodePaths, Origin, SchemaResolver};
use crate::logic::cost::Estimator;
use crate::logic::ir::{Logic, NodeId, VarPath};
use crate::logic::passes::{required_slots, time_thresholds, vars_read};
use crate::program::{
    ActionKind, Campaign, Caps, Computed, Experiment, GlobalHoldout, Guardrails, PageMatch as CompiledMatch,
    PageTypeRule as CompiledRule, Placement, ProductKey, Program, QuestionKey, Schedule, Segment, TemplatePart,
    Variant,
};
use crate::time::parse_rfc3339;
use crate::url::safe_url;
use crate::vocab::{Link, Product, Redeem};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A compiled bundle and what the compiler knows about where it came from.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub program: Program,
    pub host: HostView,
    pub source: SourceMap,
    /// Non-fatal findings (e.g. an affinity entry naming no product): skipped, not refused.
    pub warnings: Vec<BundleIssue>,
}

/// Node ids back to the JSON a marketer wrote (explain, lints).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub paths: NodePaths,
    /// The bundle JSON as read (kept with [`Options::keep_document`]).
    pub document: Value,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub limits: Limits,
    /// Keep the source JSON in the [`SourceMap`] (explain shows each failing rule as written).
    pub keep_document: bool,
}

/// Parses, validates and compiles a bundle's JSON.
pub fn compile(bytes: &[u8], options: &Options) -> Result<Compiled, BundleError> {
    let limits = &options.limits;
    if bytes.len() > limits.max_bytes {
        return Err(BundleError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| BundleError::Json { path: "(bundle)".into(), message: e.to_string() })?;
    compile_value(value, options)
}

/// Validates and compiles already-parsed JSON (the CLI compiles YAML this way).
pub fn compile_value(mut value: Value, options: &Options) -> Result<Compiled, BundleError> {
    // A bundle of another format would fail on its fields; its version is the news.
    if let Some(found) = value.get("version").and_then(Value::as_u64).filter(|v| *v != FORMAT_VERSION) {
        return Err(BundleError::UnsupportedVersion { found });
    }
    let document = if options.keep_document { value.clone() } else { Value::Null };
    let mut issues = Vec::new();
    let source = Reader { issues: &mut issues }.bundle(&mut value);
    drop(value);
    let Some(source) = source else { return Err(BundleError::Invalid(issues)) };
    // Semantic checks run even after type errors (on what could be read), so a
    // marketer sees every problem at once.
    match compile_source(&source, &options.limits) {
        Ok(mut compiled) if issues.is_empty() => {
            compiled.source.document = document;
            Ok(compiled)
        }
        Ok(_) => Err(BundleError::Invalid(issues)),
        Err(BundleError::Invalid(more)) => {
            issues.extend(more);
            Err(BundleError::Invalid(issues))
        }
        Err(other) => Err(other),
    }
}

/// Validates and compiles what [`super::read`] returned.
pub fn compile_source(source: &BundleSource, limits: &Limits) -> Result<Compiled, BundleError> {
    let mut c = Compiler::default();
    let compiled = c.bundle(source, limits);
    if c.issues.is_empty() {
        Ok(compiled)
    } else {
        Err(BundleError::Invalid(c.issues))
    }
}

#[derive(Default)]
struct Compiler {
    issues: Vec<BundleIssue>,
    warnings: Vec<BundleIssue>,
    schema: Schema,
    logic: Logic,
    paths: NodePaths,
    segment_index: HashMap<String, u16>,
    segment_required: Vec<u64>,
    /// Each compiled campaign's "why" text, until the host section dedupes them.
    why_texts: Vec<String>,
    roots: Vec<NodeId>,
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

/// Template fields that would show the shopper what perso inferred about them.
fn sensitive(path: &str) -> bool {
    path.starts_with("customer.ltv_band")
        || path.starts_with("customer.rfm")
        || path.starts_with("customer.segments")
        || path.starts_with("visitor.interests")
}

/// A JSON path's JSON Pointer (`campaigns[3].condition` -> `/campaigns/3/condition`).
fn pointer_of(path: &str) -> String {
    let mut pointer = String::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let Some((inner, after)) = after.split_once(']') else { break };
            let key = serde_json::from_str::<String>(inner).unwrap_or_else(|_| inner.to_owned());
            pointer.push('/');
            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            rest = after;
        } else {
            let body = rest.strip_prefix('.').unwrap_or(rest);
            let end = body.find(['.', '[']).unwrap_or(body.len());
            pointer.push('/');
            pointer.push_str(&body[..end]);
            rest = &body[end..];
        }
    }
    pointer
}

impl Compiler {
    fn issue(&mut self, path: impl Into<String>, problem: Problem) {
        self.issues.push(BundleIssue { path: path.into(), problem });
    }

    fn condition(&mut self, rule: &Value, path: &str, owner: &str, refs: &mut Vec<u16>) -> Option<NodeId> {
        let segments = std::mem::take(&mut self.segment_index);
        let pointer = pointer_of(path);
        let mode = Mode::Schema(&mut Resolver { schema: &mut self.schema, segments: &segments, refs, owner });
        let result =
            compile_logic(rule, &mut self.logic, mode, Origin { path, pointer: &pointer }, Some(&mut self.paths));
        self.segment_index = segments;
        match result {
            Ok(root) => {
                self.roots.push(root);
                Some(root)
            }
            Err(error) => {
                self.issue(error.path, Problem::Condition(error.problem));
                None
            }
        }
    }

    /// Estimates every condition once the arena is complete (one estimator shares
    /// what it learns about nodes), segments first in dependency order; an issue at
    /// the costly node of every condition over the limit.
    fn costs(&mut self, segments: &mut [Segment], campaigns: &mut [Campaign], order: &[u16]) {
        let schema = &self.schema;
        let slot_size = |slot: u16| schema.slot_size(slot);
        let mut estimator = Estimator::new(&self.logic, &slot_size, vec![0; segments.len()], MAX_CONDITION_COST);
        let mut over = Vec::new();
        let mut estimate = |estimator: &mut Estimator<'_>, root: NodeId, owner: String| match estimator.estimate(root) {
            Ok(e) => e.cost,
            Err(too) => {
                over.push((too, owner));
                MAX_CONDITION_COST
            }
        };
        for &index in order {
            if let Some(segment) = segments.get_mut(usize::from(index)) {
                segment.cost = estimate(&mut estimator, segment.condition, format!("segments[{index}].condition"));
                estimator.set_segment_cost(usize::from(index), segment.cost);
            }
        }
        let segment_cost: Vec<u64> = segments.iter().map(|s| s.cost).collect();
        for (i, campaign) in campaigns.iter_mut().enumerate() {
            let mut cost: u64 = campaign.segments.iter().filter_map(|s| segment_cost.get(usize::from(*s))).sum();
            if let Some(root) = campaign.condition {
                cost = cost.saturating_add(estimate(&mut estimator, root, format!("campaigns[{i}].condition")));
            }
            if let Some(root) = campaign.eligibility {
                cost =
                    cost.saturating_add(estimate(&mut estimator, root, format!("campaigns[{i}].action.eligibility")));
            }
            campaign.cost = cost;
        }
        drop(estimator);
        let hint = "iterate over shorter lists, do not grow a `reduce` accumulator with `cat`/`merge`, and avoid nesting `map`/`all`/`some` over large literal lists";
        for (too, owner) in over {
            let path = self.paths.get(too.node).map_or(owner, str::to_owned);
            self.issue(path, Problem::TooCostly { cost: too.cost, limit: MAX_CONDITION_COST, hint });
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
        if !safe_url(url) {
            self.issue(path, Problem::BadUrl(url.to_owned()));
        }
    }

    fn limit(&mut self, count: usize, limit: usize, path: &str, what: &'static str) {
        if count > limit {
            self.issue(path, Problem::TooMany { what, limit });
        }
    }

    fn bundle(&mut self, source: &BundleSource, limits: &Limits) -> Compiled {
        self.limit(source.campaigns.len(), limits.max_campaigns, "campaigns", "campaigns");
        self.limit(source.segments.len(), limits.max_segments, "segments", "segments");
        self.limit(source.placements.len(), limits.max_placements, "placements", "placements");
        self.limit(source.products.len(), limits.max_products, "products", "products");
        if source.serial > MAX_SERIAL {
            self.issue("serial", Problem::SerialTooLarge(source.serial));
        }
        let expires_at_ms = self.time(&source.expires_at, "expires_at").unwrap_or(i64::MIN);
        let issued_at_ms = source.issued_at.as_ref().and_then(|issued| self.time(issued, "issued_at"));
        if source.utc_offset_minutes.unsigned_abs() > 14 * 60 {
            self.issue("utc_offset_minutes", Problem::OutOfRange("must be between -840 and 840 minutes"));
        }

        let placement_index = self.placements(&source.placements);
        let (mut segments, segment_order) = self.segments(&source.segments);
        let (products, product_keys, categories) = self.products(source);
        let product_index: HashMap<&str, u32> =
            source.products.keys().enumerate().map(|(i, sku)| (sku.as_str(), i as u32)).collect();
        let affinity_items = self.affinity_items(&source.affinity, &product_index);
        let affinity_categories = self.affinity_categories(&source.affinity, &product_index, &categories);

        let guardrails = Guardrails {
            max_interruptions_per_session: source.guardrails.max_interruptions_per_session,
            min_gap_ms: source.guardrails.min_gap_between_interruptions_s.saturating_mul(1000).min(i64::MAX as u64)
                as i64,
            dismiss_cooldown_ms: source.guardrails.dismiss_cooldown_s.saturating_mul(1000).min(i64::MAX as u64) as i64,
            quiet_pages: source.guardrails.quiet_page_types.iter().map(|t| Box::from(t.as_str())).collect(),
        };

        let mut seen = HashSet::new();
        let mut campaigns = Vec::with_capacity(source.campaigns.len());
        let mut shown = Vec::with_capacity(source.campaigns.len());
        for (i, campaign) in source.campaigns.iter().enumerate() {
            let path = format!("campaigns[{i}]");
            if campaign.id.is_empty() {
                self.issue(format!("{path}.id"), Problem::Empty);
            } else if !seen.insert(campaign.id.as_str()) {
                self.issue(format!("{path}.id"), Problem::DuplicateId { kind: "campaign", id: campaign.id.clone() });
            }
            if let Some((compiled, host)) =
                self.campaign(campaign, &path, &placement_index, &product_index, &guardrails)
            {
                campaigns.push(compiled);
                shown.push(host);
            }
        }
        if !guardrails.quiet_pages.is_empty() && campaigns.iter().any(|c| c.interruption) {
            self.schema.var("page.type");
        }
        self.costs(&mut segments, &mut campaigns, &segment_order);
        self.offer_facts(&campaigns, &segments, &mut shown);
        let mut placements: Vec<Placement> =
            source.placements.iter().map(|_| Placement { campaigns: Vec::new() }).collect();
        for (index, campaign) in campaigns.iter().enumerate() {
            if let Some(placement) = placements.get_mut(usize::from(campaign.placement)) {
                placement.campaigns.push(index as u32);
            }
        }
        for placement in &mut placements {
            // Highest priority first; the sort is stable, so ties keep bundle order.
            // (Every index is one of `campaigns`', pushed just above: `get` never misses.)
            placement.campaigns.sort_by_key(|&i| std::cmp::Reverse(campaigns.get(i as usize).map(|c| c.priority)));
        }
        let id_of = |i: u32| campaigns.get(i as usize).map(|c| &*c.id);
        let mut campaigns_by_id: Vec<u32> = (0..campaigns.len() as u32).collect();
        campaigns_by_id.sort_by(|a, b| id_of(*a).cmp(&id_of(*b)));
        campaigns_by_id.dedup_by(|a, b| id_of(*a) == id_of(*b));

        // Distinct "why" texts once (most campaigns share a default one).
        let mut whys: Vec<String> = Vec::new();
        for (campaign, text) in shown.iter_mut().zip(std::mem::take(&mut self.why_texts)) {
            campaign.why = match whys.iter().position(|w| *w == text) {
                Some(i) => i as u32,
                None => {
                    let index = whys.len() as u32;
                    whys.push(text);
                    index
                }
            };
        }
        let page_types = self.page_types(source.page_types.as_deref());
        let holdout = source.holdout.as_ref().map(|h| GlobalHoldout {
            salt: h.salt.as_deref().unwrap_or(GlobalHoldoutSource::DEFAULT_SALT).into(),
            basis_points: (h.percent * 100.0).round().clamp(0.0, 10_000.0) as u32,
        });
        let thresholds = time_thresholds(&self.logic, &self.roots, TIME_ON_SITE as u8);
        let schema = std::mem::take(&mut self.schema);
        let host = HostView {
            serial: source.serial,
            expires_at_ms,
            placements: source.placements.iter().map(|p| p.id.clone()).collect(),
            campaigns: shown,
            whys,
            products,
            slots: schema.paths().iter().map(|p| p.to_string()).collect(),
            references: schema.references(),
            time_on_site_thresholds: thresholds.clone(),
        };
        let program = Program {
            serial: source.serial,
            expires_at_ms,
            issued_at_ms,
            utc_offset_minutes: source.utc_offset_minutes,
            logic: std::mem::take(&mut self.logic),
            schema,
            placements,
            segments,
            campaigns,
            campaigns_by_id,
            guardrails,
            products: product_keys,
            categories: categories.into_iter().map(Box::from).collect(),
            affinity_items,
            affinity_categories,
            time_on_site_thresholds: thresholds,
            page_types,
            holdout,
        };
        Compiled {
            program,
            host,
            source: SourceMap { paths: std::mem::take(&mut self.paths), document: Value::Null },
            warnings: std::mem::take(&mut self.warnings),
        }
    }

    fn page_types(&mut self, rules: Option<&[PageTypeRule]>) -> Vec<CompiledRule> {
        let rule = |matcher: CompiledMatch, page_type: &str| CompiledRule { matcher, page_type: page_type.into() };
        match rules {
            None => DEFAULT_PAGE_TYPES
                .iter()
                .map(|(how, what, page_type)| {
                    let matcher = if *how == "path" {
                        CompiledMatch::Path((*what).into())
                    } else {
                        CompiledMatch::Segment((*what).into())
                    };
                    rule(matcher, page_type)
                })
                .collect(),
            Some(rules) => {
                let mut out = Vec::with_capacity(rules.len());
                for (i, r) in rules.iter().enumerate() {
                    let matcher = match &r.matcher {
                        PageMatch::Path(p) if p.starts_with('/') => CompiledMatch::Path(p.as_str().into()),
                        PageMatch::Path(_) => {
                            self.issue(format!("page_types[{i}].path"), Problem::OutOfRange("a path starts with /"));
                            continue;
                        }
                        PageMatch::Segment(s) if !s.is_empty() && !s.contains('/') => {
                            CompiledMatch::Segment(s.as_str().into())
                        }
                        PageMatch::Segment(_) => {
                            self.issue(
                                format!("page_types[{i}].segment"),
                                Problem::OutOfRange("a path segment is a non-empty name without /"),
                            );
                            continue;
                        }
                    };
                    if r.page_type.is_empty() {
                        self.issue(format!("page_types[{i}].type"), Problem::Empty);
                    }
                    out.push(rule(matcher, &r.page_type));
                }
                out
            }
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

    fn segments(&mut self, segments: &[SegmentSource]) -> (Vec<Segment>, Vec<u16>) {
        for (i, segment) in segments.iter().enumerate() {
            let path = format!("segments[{i}].id");
            if segment.id.is_empty() {
                self.issue(path, Problem::Empty);
            } else if self.segment_index.insert(segment.id.clone(), i as u16).is_some() {
                self.issue(path, Problem::DuplicateId { kind: "segment", id: segment.id.clone() });
            }
        }
        let mut roots = Vec::with_capacity(segments.len());
        let mut edges = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let path = format!("segments[{i}].condition");
            let mut refs = Vec::new();
            let root = self.condition(&segment.condition, &path, &segment.id, &mut refs);
            edges.push(refs);
            roots.push(root);
        }
        self.segment_required = roots.iter().map(|r| r.map_or(0, |r| required_slots(&self.logic, r))).collect();
        let mut acyclic = true;
        if let Some(cycle) = find_cycle(&edges) {
            acyclic = false;
            let names: Vec<&str> =
                cycle.iter().filter_map(|&i| segments.get(usize::from(i))).map(|s| s.id.as_str()).collect();
            let first = cycle.first().copied().unwrap_or(0);
            self.issue(format!("segments[{first}].condition"), Problem::SegmentCycle(names.join(" -> ")));
        }
        // Costs are estimated later in this order, so a segment's includes those it uses.
        let order = if acyclic { dependency_order(&edges) } else { Vec::new() };
        for &index in &order {
            if nesting(&edges, index) > MAX_SEGMENT_NESTING {
                self.issue(format!("segments[{index}].condition"), Problem::SegmentsTooDeep(MAX_SEGMENT_NESTING));
            }
        }
        let compiled = segments
            .iter()
            .zip(roots)
            .enumerate()
            .map(|(i, (segment, root))| {
                let condition = root.unwrap_or_else(|| self.logic.push(crate::logic::ir::Node::Undefined));
                Segment {
                    id: segment.id.as_str().into(),
                    condition,
                    required: self.segment_required.get(i).copied().unwrap_or(0),
                    cost: 0,
                }
            })
            .collect();
        (compiled, order)
    }

    /// Products in sku order (the product index), their keys for the engine, and
    /// every category name the bundle knows (products' and the affinity table's).
    fn products(&mut self, source: &BundleSource) -> (Vec<Product>, Vec<ProductKey>, Vec<String>) {
        let mut categories: BTreeSet<String> = BTreeSet::new();
        for product in source.products.values() {
            if let Some(category) = &product.category {
                categories.insert(category.clone());
            }
        }
        categories.extend(source.affinity.categories.keys().cloned());
        let categories: Vec<String> = categories.into_iter().collect();
        let mut list = Vec::with_capacity(source.products.len());
        let mut keys = Vec::with_capacity(source.products.len());
        for (sku, product) in &source.products {
            let path = format!("products{}", key_segment(sku));
            self.url(&product.url, &format!("{path}.url"));
            if let Some(image) = &product.image {
                self.url(image, &format!("{path}.image"));
            }
            if product.price.is_some_and(|p| !p.is_finite() || p < 0.0) {
                self.issue(format!("{path}.price"), Problem::OutOfRange("price must be a number >= 0"));
            }
            keys.push(ProductKey {
                sku: sku.as_str().into(),
                category: product.category.as_ref().and_then(|c| categories.binary_search(c).ok()).map(|i| i as u32),
            });
            list.push(Product {
                sku: sku.clone(),
                name: product.name.clone(),
                price: product.price,
                url: product.url.clone(),
                image: product.image.clone(),
            });
        }
        (list, keys, categories)
    }

    fn related(&mut self, related: &[(String, f64)], path: &str, products: &HashMap<&str, u32>) -> Vec<(u32, f64)> {
        let mut entries = Vec::with_capacity(related.len());
        for (j, (sku, score)) in related.iter().enumerate() {
            match products.get(sku.as_str()) {
                Some(index) if score.is_finite() => entries.push((*index, *score)),
                Some(_) => self.issue(format!("{path}[{j}][1]"), Problem::OutOfRange("score must be a finite number")),
                None => self.warnings.push(BundleIssue {
                    path: format!("{path}[{j}][0]"),
                    problem: Problem::UnknownProduct(sku.clone()),
                }),
            }
        }
        entries
    }

    fn affinity_items(&mut self, affinity: &AffinitySource, products: &HashMap<&str, u32>) -> Vec<Vec<(u32, f64)>> {
        let mut table = vec![Vec::new(); products.len()];
        for (sku, related) in &affinity.items {
            let path = format!("affinity.items{}", key_segment(sku));
            let entries = self.related(related, &path, products);
            match products.get(sku.as_str()).and_then(|i| table.get_mut(*i as usize)) {
                Some(row) => *row = entries,
                // Only products in the bundle can be in a cart the engine recognizes.
                None => self.warnings.push(BundleIssue { path, problem: Problem::UnknownProduct(sku.clone()) }),
            }
        }
        table
    }

    fn affinity_categories(
        &mut self,
        affinity: &AffinitySource,
        products: &HashMap<&str, u32>,
        categories: &[String],
    ) -> Vec<Vec<(u32, f64)>> {
        let mut table = vec![Vec::new(); categories.len()];
        for (category, related) in &affinity.categories {
            let path = format!("affinity.categories{}", key_segment(category));
            let entries = self.related(related, &path, products);
            if let Some(row) = categories.binary_search(category).ok().and_then(|i| table.get_mut(i)) {
                *row = entries;
            }
        }
        table
    }

    fn campaign(
        &mut self,
        source: &CampaignSource,
        path: &str,
        placements: &HashMap<String, u16>,
        products: &HashMap<&str, u32>,
        guardrails: &Guardrails,
    ) -> Option<(Campaign, HostCampaign)> {
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
        if source.requires_consent {
            self.schema.var("consent.personalization");
            self.schema.var("consent.gpc");
        }
        let (computed, action) = self.action(&source.action, &format!("{path}.action"), products)?;
        let interrupts = source.action.interrupts();
        let (experiment, variants) = match &source.experiment {
            Some(e) => {
                let (compiled, host) =
                    self.experiment(e, &format!("{path}.experiment"), &source.id, interrupts, products)?;
                (Some(compiled), host)
            }
            None => (None, Vec::new()),
        };
        let eligibility = self.redeemable(&source.action, &format!("{path}.action"), &source.id, &mut refs)?;
        if let Some(e) = &source.experiment {
            for (j, variant) in e.variants.iter().enumerate() {
                if let Some(action) = &variant.action {
                    self.redeem_fields(action, &format!("{path}.experiment.variants[{j}].action"));
                }
            }
        }
        let required = segments
            .iter()
            .filter_map(|s| self.segment_required.get(usize::from(*s)))
            .fold(condition.map_or(0, |c| required_slots(&self.logic, c)), |mask, m| mask | m);
        let why = source.why.clone().unwrap_or_else(|| {
            if source.condition.is_none() && source.segments.is_empty() {
                CampaignSource::WHY_EVERYONE.to_owned()
            } else {
                CampaignSource::WHY_TARGETED.to_owned()
            }
        });
        let questions = match &source.action {
            ActionSource::Register(r) => r
                .shown
                .questions
                .iter()
                .map(|q| QuestionKey {
                    id: q.id.as_str().into(),
                    multiple: q.multiple,
                    values: q.options.iter().map(|o| o.value.as_str().into()).collect(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let placement = placement?;
        self.why_texts.push(why);
        let host = HostCampaign {
            id: source.id.clone(),
            placement,
            interruption: interrupts,
            trigger: source.trigger.clone(),
            why: 0,
            action,
            variants,
            offer_facts: Vec::new(),
        };
        let compiled = Campaign {
            id: source.id.as_str().into(),
            placement,
            priority: source.priority,
            enabled: source.enabled,
            segments,
            condition,
            schedule,
            caps: Caps {
                per_session: source.caps.per_session,
                per_visitor: source.caps.per_visitor,
                dismiss_cooldown_ms: source
                    .caps
                    .cooldown_after_dismiss_s
                    .map_or(guardrails.dismiss_cooldown_ms, |s| s.saturating_mul(1000).min(i64::MAX as u64) as i64),
            },
            requires_consent: source.requires_consent,
            trigger: source.trigger.clone(),
            experiment,
            computed,
            interruption: interrupts,
            kind: kind_of(&source.action),
            eligibility,
            required,
            cost: 0,
            questions,
        };
        Some((compiled, host))
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
        campaign_interrupts: bool,
        products: &HashMap<&str, u32>,
    ) -> Option<(Experiment, Vec<HostVariant>)> {
        if source.variants.is_empty() {
            self.issue(format!("{path}.variants"), Problem::Empty);
        }
        if source.holdout < 0 {
            self.issue(format!("{path}.holdout"), Problem::NegativeWeight);
        }
        let mut ids = HashSet::new();
        let mut variants = Vec::with_capacity(source.variants.len());
        let mut shown = Vec::with_capacity(source.variants.len());
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
            let (computed, action) = match &variant.action {
                Some(a) => {
                    let (computed, action) = self.action(a, &format!("{vpath}.action"), products)?;
                    if a.interrupts() != campaign_interrupts {
                        self.issue(
                            format!("{vpath}.action.kind"),
                            Problem::OutOfRange(
                                "a variant must interrupt the shopper exactly when the campaign's own action does",
                            ),
                        );
                    }
                    (Some(computed), Some(action))
                }
                None => (None, None),
            };
            variants.push(Variant { id: variant.id.as_str().into(), weight: variant.weight, computed });
            shown.push(HostVariant { id: variant.id.clone(), action });
        }
        let total: i64 = variants
            .iter()
            .map(|v| v.weight.max(0))
            .fold(0i64, i64::saturating_add)
            .saturating_add(source.holdout.max(0));
        if !source.variants.is_empty() && total == 0 {
            self.issue(format!("{path}.variants"), Problem::AllZeroWeights);
        }
        let experiment =
            Experiment { salt: source.salt.as_deref().unwrap_or(campaign).into(), variants, holdout: source.holdout };
        Some((experiment, shown))
    }

    fn link(&mut self, link: &Option<Link>, path: &str) {
        if let Some(link) = link {
            self.url(&link.url, &format!("{path}.cta.url"));
        }
    }

    /// What the engine computes of an action, and what the host shows of it.
    fn action(
        &mut self,
        source: &ActionSource,
        path: &str,
        products: &HashMap<&str, u32>,
    ) -> Option<(Computed, HostAction)> {
        Some(match source {
            ActionSource::Banner(b) => {
                if let Some(image) = &b.image {
                    self.url(image, &format!("{path}.image"));
                }
                self.link(&b.cta, path);
                (Computed::Nothing, HostAction::Banner(b.clone()))
            }
            ActionSource::Offer(o) => {
                self.link(&o.shown.cta, path);
                (Computed::Nothing, HostAction::Offer(o.shown.clone()))
            }
            ActionSource::Recommend(r) => {
                if !(1..=24).contains(&r.count) {
                    self.issue(format!("{path}.count"), Problem::OutOfRange("count must be 1-24"));
                }
                let mut fallback = Vec::new();
                for (j, sku) in r.fallback.iter().enumerate() {
                    match products.get(sku.as_str()) {
                        Some(index) => fallback.push(*index),
                        None => self.issue(format!("{path}.fallback[{j}]"), Problem::UnknownProduct(sku.clone())),
                    }
                }
                self.schema.var("cart.items");
                self.schema.var("visitor.interests");
                (Computed::Recommend { count: r.count, fallback }, HostAction::Recommend { title: r.title.clone() })
            }
            ActionSource::Welcome(w) => (
                Computed::Welcome { parts: self.template(&w.template, &format!("{path}.template"))? },
                HostAction::Welcome {},
            ),
            ActionSource::Register(RegisterSource { shown: r, .. }) => {
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
                (Computed::Nothing, HostAction::Register(r.clone()))
            }
            ActionSource::Chat(c) => (Computed::Nothing, HostAction::Chat(c.clone())),
        })
    }

    /// `"Welcome back, {customer.first_name}!"` -> text and field parts.
    fn template(&mut self, template: &str, path: &str) -> Option<Vec<TemplatePart>> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some((text, after)) = rest.split_once('{') {
            if !text.is_empty() {
                parts.push(TemplatePart::Text(text.into()));
            }
            let Some((field, after)) = after.split_once('}') else {
                self.issue(path, Problem::BadTemplate("is not closed with }".into()));
                return None;
            };
            let field = field.trim();
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
            rest = after;
        }
        if rest.contains('}') {
            self.issue(path, Problem::BadTemplate("has a } without {".into()));
            return None;
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.into()));
        }
        Some(parts)
    }
}

// ----- Redeemable offers and rewards (docs/offers.md): what the checkout re-checks -----

impl Compiler {
    /// The eligibility the checkout re-checks, compiled (`None`: an offer falls back
    /// to its campaign's rules; an action with nothing to redeem has none). A reward
    /// without an `eligibility` gets a constant `true`: the claim alone.
    fn redeemable(
        &mut self,
        action: &ActionSource,
        path: &str,
        owner: &str,
        refs: &mut Vec<u16>,
    ) -> Option<Option<NodeId>> {
        self.redeem_fields(action, path);
        let Some(r) = action.redeemable() else { return Some(None) };
        let rule_path = format!("{path}{}.eligibility", r.field);
        Some(match (r.eligibility, matches!(action, ActionSource::Register(_))) {
            (Some(rule), _) => Some(self.condition(rule, &rule_path, owner, refs)?),
            (None, true) if r.redeem != Redeem::None => {
                Some(self.condition(&Value::Bool(true), &rule_path, owner, refs)?)
            }
            (None, _) => None,
        })
    }

    /// `redeem`, `code` and `benefit` agree: a code is typed only with `redeem: code`;
    /// a claim or a checkout grant has a benefit the checkout can apply.
    fn redeem_fields(&mut self, action: &ActionSource, path: &str) {
        let Some(r) = action.redeemable() else { return };
        let at = |field: &str| format!("{path}{}.{field}", r.field);
        match (r.redeem, r.code) {
            (Redeem::Code, None) => self.issue(at("code"), Problem::Missing),
            (Redeem::Code, Some("")) => self.issue(at("code"), Problem::Empty),
            (Redeem::Claim | Redeem::Checkout | Redeem::None, Some(_)) => self.issue(
                at("code"),
                Problem::OutOfRange(
                    "a literal code goes with redeem: code only; a claimed offer shows the claim's display code instead",
                ),
            ),
            _ => {}
        }
        match (r.redeem, r.benefit) {
            (Redeem::Claim | Redeem::Checkout, None) => self.issue(at("benefit"), Problem::Missing),
            (Redeem::None, Some(_)) => self.issue(
                at("redeem"),
                Problem::OutOfRange("a benefit nobody can redeem: set redeem to claim, checkout or code"),
            ),
            _ => {}
        }
    }

    /// Per redeemable campaign, the context paths its checkout re-check reads
    /// (segments followed), sorted: the facts a claim rests on.
    fn offer_facts(&self, campaigns: &[Campaign], segments: &[Segment], shown: &mut [HostCampaign]) {
        let segment_roots: Vec<NodeId> = segments.iter().map(|s| s.condition).collect();
        for (campaign, host) in campaigns.iter().zip(shown.iter_mut()) {
            let redeemable = |a: &HostAction| a.redeem().is_some_and(|r| r != Redeem::None);
            if !redeemable(&host.action) && !host.variants.iter().filter_map(|v| v.action.as_ref()).any(redeemable) {
                continue;
            }
            let roots: Vec<NodeId> = match campaign.eligibility {
                Some(rule) => vec![rule],
                None => campaign
                    .segments
                    .iter()
                    .filter_map(|s| segment_roots.get(usize::from(*s)).copied())
                    .chain(campaign.condition)
                    .collect(),
            };
            let mut facts: Vec<String> = vars_read(&self.logic, &roots, &segment_roots)
                .iter()
                .filter_map(|path| match path {
                    VarPath::Slot(slot) => self.schema.paths().get(usize::from(*slot)).map(|p| p.to_string()),
                    VarPath::Derived(d) => DERIVED_PATHS.get(usize::from(*d)).map(|p| (*p).to_owned()),
                    _ => None,
                })
                .collect();
            facts.sort();
            host.offer_facts = facts;
        }
    }
}

fn kind_of(action: &ActionSource) -> ActionKind {
    match action {
        ActionSource::Banner(_) => ActionKind::Banner,
        ActionSource::Offer(_) => ActionKind::Offer,
        ActionSource::Recommend(_) => ActionKind::Recommend,
        ActionSource::Welcome(_) => ActionKind::Welcome,
        ActionSource::Register(_) => ActionKind::Register,
        ActionSource::Chat(_) => ActionKind::Chat,
    }
}

/// A cycle among segment references, as segment indices, if there is one.
fn find_cycle(edges: &[Vec<u16>]) -> Option<Vec<u16>> {
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut mark = vec![0u8; edges.len()];
    let mut stack: Vec<u16> = Vec::new();
    fn visit(node: u16, edges: &[Vec<u16>], mark: &mut [u8], stack: &mut Vec<u16>) -> Option<Vec<u16>> {
        if let Some(m) = mark.get_mut(usize::from(node)) {
            *m = 1;
        }
        stack.push(node);
        for &next in edges.get(usize::from(node)).map(Vec::as_slice).unwrap_or(&[]) {
            match mark.get(usize::from(next)) {
                Some(1) => {
                    let start = stack.iter().position(|&n| n == next).unwrap_or(0);
                    let mut cycle = stack.get(start..).unwrap_or_default().to_vec();
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
        if let Some(m) = mark.get_mut(usize::from(node)) {
            *m = 2;
        }
        None
    }
    for node in 0..edges.len() {
        if mark.get(node) == Some(&0) {
            if let Some(cycle) = visit(node as u16, edges, &mut mark, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// Segments in an order where every segment comes after those it refers to (acyclic).
fn dependency_order(edges: &[Vec<u16>]) -> Vec<u16> {
    fn visit(node: u16, edges: &[Vec<u16>], done: &mut [bool], order: &mut Vec<u16>) {
        match done.get_mut(usize::from(node)) {
            Some(seen) if !*seen => *seen = true,
            _ => return,
        }
        for &next in edges.get(usize::from(node)).map(Vec::as_slice).unwrap_or(&[]) {
            visit(next, edges, done, order);
        }
        order.push(node);
    }
    let mut done = vec![false; edges.len()];
    let mut order = Vec::with_capacity(edges.len());
    for node in 0..edges.len() {
        visit(node as u16, edges, &mut done, &mut order);
    }
    order
}

/// Levels of segment references below `node` (a segment using none is 1).
fn nesting(edges: &[Vec<u16>], node: u16) -> usize {
    fn depth(node: u16, edges: &[Vec<u16>], seen: usize) -> usize {
        if seen > MAX_SEGMENT_NESTING + 1 {
            return seen;
        }
        // Depths are small counts (cut off above): saturating never bites.
        let below = edges
            .get(usize::from(node))
            .map(|next| next.iter().map(|n| depth(*n, edges, seen.saturating_add(1))).max().unwrap_or(0))
            .unwrap_or(0);
        below.saturating_add(1)
    }
    depth(node, edges, 0)
}
