//! `perso explain`: what each placement shows for a given visitor, and why every other
//! campaign did not win — decided by perso-core, the engine the browser runs. The
//! context comes from a JSON file and/or flags; the visitor state from a file or is
//! built from the flags (`--referrer` enters the session from there, `--time-on-site`
//! starts it that long ago, `--interests` registers the answers).
//!
//! A stored state (`--state`) gets the page view a host records before deciding, at
//! the decision time: more than 30 minutes after its last activity that starts a new
//! session, as on a real return visit; `--new-session` moves the decision time past
//! that idle limit (or, without a state, makes the visitor a returning one).
//! Values the engine would never see (`--page-type homepage` when the bundle's table
//! says `home`, `--ltv-band gold` when no band is called that) are refused with the
//! valid ones, so a preview cannot silently show the wrong visitor.

use crate::clock::Clock;
use crate::error::{read_file, CliError, Result};
use clap::Args;
use perso_core::bundle::source::BundleSource;
use perso_core::decision::{Exclusion, Outcome};
use perso_core::limits::SESSION_TIMEOUT_MS;
use perso_core::state::Utm;
use perso_core::{PageView, VisitorState};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A bundle JSON or an authoring file.
    pub bundle: PathBuf,
    /// Context JSON (docs/api.md); flags below override its fields.
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// Visitor state JSON (as a host stores it); default: a new visitor built from the flags.
    /// The page view of this preview is recorded on it at the decision time.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// A return visit: with --state, decide just after its session lapsed (30 minutes
    /// without activity; a later --now is kept); without, a visitor whose last visit
    /// was a day ago.
    #[arg(long)]
    pub new_session: bool,
    /// The referring page's URL (or host): sets page.referrer(_host) and the session's entry referrer.
    #[arg(long)]
    pub referrer: Option<String>,
    #[arg(long)]
    pub utm_source: Option<String>,
    #[arg(long)]
    pub utm_campaign: Option<String>,
    /// Cart lines `SKU[:QTY]`, comma-separated; category and price come from the bundle's products.
    #[arg(long)]
    pub cart: Option<String>,
    /// Seconds since the session started.
    #[arg(long, conflicts_with = "state")]
    pub time_on_site: Option<u32>,
    /// Pages viewed this session (default 1).
    #[arg(long, conflicts_with = "state")]
    pub pages: Option<u32>,
    /// Zero-party interests the visitor registered, comma-separated.
    #[arg(long, conflicts_with = "state")]
    pub interests: Option<String>,
    /// A known customer: their line in a `perso profiles --customers-out` file ...
    #[arg(long, requires = "customer_id")]
    pub customers: Option<PathBuf>,
    /// ... for this customer id.
    #[arg(long)]
    pub customer_id: Option<String>,
    /// A known customer with this first name.
    #[arg(long)]
    pub first_name: Option<String>,
    /// A known customer in this lifetime-value band (one `perso profiles` writes, or one the bundle tests).
    #[arg(long)]
    pub ltv_band: Option<String>,
    /// A known customer with this RFM score (3..15).
    #[arg(long)]
    pub rfm_score: Option<u8>,
    /// Page type: one the bundle's page-type table gives (default table: home, category,
    /// product, cart, checkout, account, search), or other.
    #[arg(long)]
    pub page_type: Option<String>,
    /// Consent to personalization denied.
    #[arg(long)]
    pub no_consent: bool,
    /// Global Privacy Control on.
    #[arg(long)]
    pub gpc: bool,
    /// The visitor id (experiment bucketing).
    #[arg(long, default_value = "preview-visitor")]
    pub visitor_id: String,
    /// Print the decision and the explanation as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn run(args: ExplainArgs) -> Result<()> {
    let now_ms = args.clock.now_ms()?;
    let input = crate::input::read(&args.bundle, None)?;
    let bytes = &input.bytes;
    let engine = crate::load::load(&args.bundle, &input)?;
    let bundle: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let source =
        perso_core::bundle::read::read_source(bytes).map_err(|e| CliError::input(&args.bundle, e.to_string()))?;
    check_values(&args, &source, &engine)?;
    let context = build_context(&args, &bundle)?;
    let (state, now_ms) = build_state(&args, now_ms)?;
    if let Err(stale) = engine.check_freshness(None, now_ms) {
        eprintln!("warning: {}: {stale}: every host refuses this bundle now", args.bundle.display());
    }
    let ctx = engine.read_context_value(&context).map_err(|e| {
        let source = args.context.clone().unwrap_or_else(|| PathBuf::from("(context from flags)"));
        CliError::input(&source, format!("context: {e}"))
    })?;
    let decision = engine.decide(&ctx, &state, now_ms);
    let explanation = engine.explain(&ctx, &state, now_ms);
    if args.json {
        let out = json!({ "context": context, "decision": decision, "explanation": explanation });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    println!("bundle serial {} at {}", decision.serial, crate::clock::format_rfc3339(now_ms));
    for placed in &decision.placements {
        let action = serde_json::to_value(&placed.action).unwrap_or(Value::Null);
        let headline =
            ["title", "text", "message"].iter().find_map(|k| action.get(*k).and_then(|v| v.as_str())).unwrap_or("");
        println!(
            "{}: {} shows {} \"{}\"{} — why: {}",
            placed.placement,
            placed.campaign,
            action.get("kind").and_then(|k| k.as_str()).unwrap_or("?"),
            headline,
            placed.variant.as_ref().map(|v| format!(" (variant {v})")).unwrap_or_default(),
            placed.why
        );
        if let Some(items) = action.get("items").and_then(|i| i.as_array()) {
            let skus: Vec<&str> = items.iter().filter_map(|i| i.get("sku").and_then(|s| s.as_str())).collect();
            println!("    items: {}", skus.join(", "));
        }
    }
    if decision.placements.is_empty() {
        println!("(nothing shows)");
    }
    println!("campaigns:");
    for verdict in &explanation.campaigns {
        let outcome = match &verdict.outcome {
            Outcome::Won { variant } => {
                format!("won{}", variant.as_ref().map(|v| format!(" (variant {v})")).unwrap_or_default())
            }
            Outcome::Lost { to } => format!("lost to {to}"),
            Outcome::Excluded { reason } => format!("excluded: {}", describe(reason)),
        };
        println!("  {:<24} {:<12} priority {:>4}  {}", verdict.campaign, verdict.placement, verdict.priority, outcome);
    }
    Ok(())
}

fn describe(reason: &Exclusion) -> String {
    match reason {
        Exclusion::Disabled => "disabled".into(),
        Exclusion::Consent => "needs consent (denied, or Global Privacy Control on)".into(),
        Exclusion::Schedule { detail } => format!("schedule: {detail}"),
        Exclusion::Segment { segment, failed } => {
            format!("segment `{segment}` did not match: {} is false (at {})", failed.rule, failed.path)
        }
        Exclusion::Condition { failed } => format!("condition {} is false (at {})", failed.rule, failed.path),
        Exclusion::Cap { detail } => format!("cap: {detail}"),
        Exclusion::Guardrail { detail } => format!("guardrail: {detail}"),
        Exclusion::Holdout => "experiment holdout".into(),
        Exclusion::GlobalHoldout => "the visitor is in the bundle's global holdout (defaults everywhere)".into(),
        Exclusion::OverBudget { limit } => {
            format!("ran out of its run-time budget ({limit} units): a costly condition")
        }
        Exclusion::NothingToShow { detail } => format!("nothing to show: {detail}"),
    }
}

fn referrer_host(referrer: &str) -> String {
    let rest = referrer.split_once("://").map_or(referrer, |(_, rest)| rest);
    rest.split(['/', '?', '#', ':']).next().unwrap_or("").to_ascii_lowercase()
}

fn build_context(args: &ExplainArgs, bundle: &Value) -> Result<Value> {
    let mut context = match &args.context {
        Some(path) => {
            serde_json::from_slice(&read_file(path)?).map_err(|e| CliError::input(path, format!("not JSON: {e}")))?
        }
        None => json!({}),
    };
    if !context.is_object() {
        return Err(CliError::Usage("the context must be a JSON object".into()));
    }
    let set = |context: &mut Value, path: &[&str], value: Value| {
        let mut node = context;
        for key in &path[..path.len() - 1] {
            if !node.get(*key).is_some_and(|v| v.is_object()) {
                node[*key] = json!({});
            }
            node = &mut node[*key];
        }
        node[path[path.len() - 1]] = value;
    };
    if let Some(referrer) = &args.referrer {
        set(&mut context, &["page", "referrer"], referrer.clone().into());
        set(&mut context, &["page", "referrer_host"], referrer_host(referrer).into());
    }
    if let Some(source) = &args.utm_source {
        set(&mut context, &["page", "utm", "source"], source.clone().into());
    }
    if let Some(campaign) = &args.utm_campaign {
        set(&mut context, &["page", "utm", "campaign"], campaign.clone().into());
    }
    if let Some(page_type) = &args.page_type {
        set(&mut context, &["page", "type"], page_type.clone().into());
    }
    if let Some(cart) = &args.cart {
        set(&mut context, &["cart", "items"], cart_items(cart, bundle)?);
    }
    if let (Some(file), Some(id)) = (&args.customers, &args.customer_id) {
        let text = String::from_utf8_lossy(&read_file(file)?).into_owned();
        let customer = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line.get("customer_id").and_then(|c| c.as_str()) == Some(id.as_str()))
            .and_then(|line| line.get("customer").cloned())
            .ok_or_else(|| CliError::input(file, format!("no line for customer_id `{id}`")))?;
        set(&mut context, &["customer"], customer);
    }
    if let Some(name) = &args.first_name {
        set(&mut context, &["customer", "known"], true.into());
        set(&mut context, &["customer", "first_name"], name.clone().into());
    }
    if let Some(band) = &args.ltv_band {
        set(&mut context, &["customer", "known"], true.into());
        set(&mut context, &["customer", "ltv_band"], band.clone().into());
    }
    if let Some(score) = args.rfm_score {
        set(&mut context, &["customer", "known"], true.into());
        set(&mut context, &["customer", "rfm", "score"], score.into());
    }
    if args.no_consent {
        set(&mut context, &["consent", "personalization"], false.into());
    }
    if args.gpc {
        set(&mut context, &["consent", "gpc"], true.into());
    }
    Ok(context)
}

pub(crate) fn cart_items(spec: &str, bundle: &Value) -> Result<Value> {
    let mut items = Vec::new();
    for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (sku, qty) = match entry.split_once(':') {
            Some((sku, qty)) => (
                sku,
                qty.parse::<u32>().ok().filter(|q| *q > 0).ok_or_else(|| {
                    CliError::Usage(format!("--cart `{entry}`: the quantity after `:` must be a positive whole number"))
                })?,
            ),
            None => (entry, 1),
        };
        let product = bundle
            .get("products")
            .and_then(|p| p.get(sku))
            .ok_or_else(|| CliError::Usage(format!("--cart: `{sku}` is not in the bundle's products")))?;
        let mut item = json!({ "sku": sku, "qty": qty });
        if let Some(category) = product.get("category") {
            item["category"] = category.clone();
        }
        if let Some(price) = product.get("price") {
            item["price"] = price.clone();
        }
        items.push(item);
    }
    Ok(Value::Array(items))
}

/// Refuses values the engine never produces, naming the valid ones.
fn check_values(args: &ExplainArgs, source: &BundleSource, engine: &perso_core::Engine) -> Result<()> {
    if let Some(page_type) = &args.page_type {
        let types = crate::lint::page_types(source);
        if !types.contains(page_type) {
            return Err(CliError::Usage(format!(
                "--page-type `{page_type}` is not a page type of this bundle: {}{}",
                types.join(", "),
                if source.page_types.is_some() { " (its page_types table)" } else { " (the default table)" }
            )));
        }
    }
    if let Some(band) = &args.ltv_band {
        let tested = crate::lint::compared_values(engine, "customer.ltv_band");
        let mut bands: Vec<String> = LTV_BANDS.iter().map(|b| (*b).to_owned()).collect();
        bands.extend(tested.iter().filter(|t| !LTV_BANDS.contains(&t.as_str())).cloned());
        if !bands.contains(band) {
            return Err(CliError::Usage(format!(
                "--ltv-band `{band}` is not a band: perso profiles writes {}; this bundle tests {}",
                LTV_BANDS.join(", "),
                if tested.is_empty() { "none".to_owned() } else { tested.into_iter().collect::<Vec<_>>().join(", ") }
            )));
        }
    }
    Ok(())
}

/// The bands `perso profiles` writes (profiles::scores::ltv_band).
const LTV_BANDS: [&str; 4] = ["low", "medium", "high", "top"];

/// The visitor state to decide with, and the decision time (moved past the idle
/// limit by `--new-session`).
fn build_state(args: &ExplainArgs, now_ms: i64) -> Result<(VisitorState, i64)> {
    let page = PageView {
        referrer_host: args.referrer.as_deref().map(referrer_host),
        utm: Utm { source: args.utm_source.clone(), campaign: args.utm_campaign.clone(), ..Utm::default() },
    };
    if let Some(path) = &args.state {
        let state = VisitorState::from_json(&read_file(path)?).map_err(|e| CliError::input(path, e.to_string()))?;
        let lapsed_at = state.session.last_ms.saturating_add(SESSION_TIMEOUT_MS).saturating_add(1000);
        let now_ms = match (args.new_session, &args.clock.now) {
            (true, Some(_)) if now_ms < lapsed_at => {
                return Err(CliError::Usage(format!(
                    "--new-session with --now {}: the state's last activity was at {}, so its session lasts until {}; give a later --now or leave it out",
                    crate::clock::format_rfc3339(now_ms),
                    crate::clock::format_rfc3339(state.session.last_ms),
                    crate::clock::format_rfc3339(lapsed_at)
                )));
            }
            (true, _) => now_ms.max(lapsed_at),
            (false, _) => now_ms,
        };
        let new_session = state.session_expired(now_ms);
        let state = state.page_view(&page, now_ms);
        eprintln!(
            "{}",
            if new_session {
                format!(
                    "a new session (visit {}) at {}: the stored session lapsed (30 minutes without activity)",
                    state.visits,
                    crate::clock::format_rfc3339(now_ms)
                )
            } else {
                format!(
                    "the stored session goes on (page {} of visit {}); --new-session for a return visit",
                    state.session.pages, state.visits
                )
            }
        );
        return Ok((state, now_ms));
    }
    let start_ms = now_ms - i64::from(args.time_on_site.unwrap_or(0)) * 1000;
    let mut state = if args.new_session {
        // A previous visit a day ago, so this one is the second.
        let before = start_ms - 86_400_000;
        VisitorState::new(&args.visitor_id, before).page_view(&PageView::default(), before).page_view(&page, start_ms)
    } else {
        VisitorState::new(&args.visitor_id, start_ms).page_view(&page, start_ms)
    };
    for _ in 1..args.pages.unwrap_or(1) {
        state = state.page_view(&PageView::default(), now_ms);
    }
    if let Some(interests) = &args.interests {
        let list: Vec<String> = interests.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        state = state.register(&list, start_ms);
    }
    Ok((state.touch(now_ms), now_ms))
}
