//! `perso claim issue|verify` and `perso sign-link`: the claim format of
//! docs/offers.md for tests and stores' scripts, by perso-claims — the code a native
//! checkout links. Keys are `perso keygen` key files (private) and `kid:BASE64`
//! lists (trusted, two during a rotation), exactly as for bundles.

use crate::clock::Clock;
use crate::error::{read_file, CliError, Result};
use crate::keys::PrivateKey;
use clap::{Args, Subcommand};
use perso_claims::{ClaimRequest, Issuer, LinkPayload, ServerFacts};
use perso_core::signature::{parse_trusted_keys, TrustedKey};
use perso_core::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ClaimArgs {
    #[command(subcommand)]
    pub command: ClaimCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClaimCommand {
    /// Issue a claim for a campaign, as a store's claim endpoint does on the shopper's Claim click.
    Issue(IssueArgs),
    /// Verify a claim as a checkout does: signature, expiry, terms, eligibility re-checked with the engine.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The bundle the store runs (JSON, authoring YAML, or the compiled bundle.bin).
    #[arg(long)]
    pub bundle: PathBuf,
    /// The claim endpoint's private key (`perso keygen`).
    #[arg(long)]
    pub key: PathBuf,
    #[arg(long)]
    pub campaign: String,
    /// An edge voucher (the `perso_vouch` cookie's value).
    #[arg(long)]
    pub voucher: Option<String>,
    /// A landing link token (`?perso_link=`).
    #[arg(long)]
    pub link: Option<String>,
    /// Trusted edge voucher keys, `kid:BASE64 ...`.
    #[arg(long, default_value = "")]
    pub edge_keys: String,
    /// Trusted landing-link keys, `kid:BASE64 ...`.
    #[arg(long, default_value = "")]
    pub link_keys: String,
    /// This store's host: vouchers and links for another one are refused.
    #[arg(long)]
    pub audience: Option<String>,
    /// The nonce (default: random). For reproducible tests only.
    #[arg(long)]
    pub jti: Option<String>,
    /// Print `{token, display_code, claim}` as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The claim token (`-`: read it from stdin).
    pub token: String,
    #[arg(long)]
    pub bundle: PathBuf,
    /// Trusted claim keys, `kid:BASE64 ...` (two during a rotation).
    #[arg(long)]
    pub keys: String,
    /// The customer as the store's records have it (JSON object, `customer.*`), e.g.
    /// `{"known": true, "ltv_band": "high", "orders": 12}`.
    #[arg(long)]
    pub customer: Option<String>,
    /// ... or their line in a `perso profiles --customers-out` file ...
    #[arg(long, requires = "customer_id")]
    pub customers: Option<PathBuf>,
    /// ... for this customer id.
    #[arg(long)]
    pub customer_id: Option<String>,
    /// The order's lines `SKU[:QTY]`, comma-separated; prices and categories from the bundle's products.
    #[arg(long, conflicts_with = "cart_json")]
    pub cart: Option<String>,
    /// The cart as the store's server prices it (`cart.*`, JSON):
    /// `{"items": [{"sku", "category", "price", "qty"}], "total": 199.0, "count": 1}`.
    #[arg(long)]
    pub cart_json: Option<String>,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

#[derive(Debug, Args)]
pub struct SignLinkArgs {
    /// The store's link-signing private key (`perso keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The affiliate, as the host its readers come from (`gadgets.com`).
    #[arg(long)]
    pub source: String,
    /// The landing URL the affiliate links to; `perso_link=<token>` is appended.
    #[arg(long)]
    pub url: String,
    /// UTM medium signed with it (e.g. `affiliate`).
    #[arg(long)]
    pub medium: Option<String>,
    /// UTM campaign signed with it.
    #[arg(long)]
    pub campaign: Option<String>,
    #[arg(long, default_value_t = 90)]
    pub expires_in_days: u32,
    /// This store's host (the claim endpoint refuses links for another one).
    #[arg(long)]
    pub audience: Option<String>,
    /// Print `{url, token, link}` as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn run(args: ClaimArgs) -> Result<()> {
    match args.command {
        ClaimCommand::Issue(args) => issue(args),
        ClaimCommand::Verify(args) => verify(args),
    }
}

fn trusted(spec: &str, flag: &str) -> Result<Vec<TrustedKey>> {
    if spec.trim().is_empty() {
        return Ok(Vec::new());
    }
    parse_trusted_keys(&spec.replace(',', " ")).map_err(|e| CliError::Usage(format!("{flag}: {e}")))
}

/// The engine of a bundle JSON, authoring file or compiled bundle.bin.
fn engine(path: &Path) -> Result<(Engine, Value)> {
    let bytes = read_file(path)?;
    if bytes.starts_with(b"PRSO") {
        let engine = Engine::from_compiled(&bytes)
            .map_err(|e| CliError::input(path, format!("not a loadable compiled bundle: {e:?}")))?;
        let products = serde_json::to_value(&engine.host().products).unwrap_or_default();
        let by_sku: serde_json::Map<String, Value> = products
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p.get("sku")?.as_str()?.to_owned(), p.clone())))
            .collect();
        return Ok((engine, json!({ "products": by_sku })));
    }
    let input = crate::input::read(path, None)?;
    let engine = crate::load::load(path, &input)?;
    Ok((engine, serde_json::from_slice(&input.bytes).unwrap_or(Value::Null)))
}

fn issue(args: IssueArgs) -> Result<()> {
    let now_ms = args.clock.now_ms()?;
    let key = PrivateKey::load(&args.key)?;
    let (engine, _) = engine(&args.bundle)?;
    let edge_keys = trusted(&args.edge_keys, "--edge-keys")?;
    let link_keys = trusted(&args.link_keys, "--link-keys")?;
    let issuer = Issuer {
        kid: &key.kid,
        key: &key.signing,
        edge_keys: &edge_keys,
        link_keys: &link_keys,
        audience: args.audience.as_deref(),
    };
    let jti = match args.jti {
        Some(jti) => jti,
        None => {
            perso_claims::new_jti().map_err(|e| CliError::Failed(format!("the system's random source failed: {e}")))?
        }
    };
    let request =
        ClaimRequest { campaign: &args.campaign, voucher: args.voucher.as_deref(), link: args.link.as_deref() };
    let issued = perso_claims::issue_claim(&engine, &request, &issuer, now_ms, jti)
        .map_err(|e| CliError::Failed(format!("claim refused ({}): {e}", e.code())))?;
    if args.json {
        let out = json!({ "token": issued.token, "display_code": issued.display_code(), "claim": issued.claim });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        println!("{}", issued.token);
        eprintln!(
            "claim for {} ({}), display code {}, expires {}",
            issued.claim.campaign,
            issued.claim.terms.title,
            issued.display_code(),
            crate::clock::format_rfc3339(issued.claim.exp.saturating_mul(1000))
        );
    }
    Ok(())
}

fn verify(args: VerifyArgs) -> Result<()> {
    let now_ms = args.clock.now_ms()?;
    let token = if args.token == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| CliError::io(Path::new("(stdin)"), e))?;
        text.trim().to_owned()
    } else {
        args.token.clone()
    };
    let keys = trusted(&args.keys, "--keys")?;
    if keys.is_empty() {
        return Err(CliError::Usage("--keys: give the store's claim keys, `kid:BASE64 ...`".into()));
    }
    let (engine, bundle) = engine(&args.bundle)?;
    let mut customer = match &args.customer {
        Some(text) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| CliError::Usage("--customer must be a JSON object".into()))?,
        None => json!({ "known": false }),
    };
    if let (Some(file), Some(id)) = (&args.customers, &args.customer_id) {
        let text = String::from_utf8_lossy(&read_file(file)?).into_owned();
        customer = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line.get("customer_id").and_then(|c| c.as_str()) == Some(id.as_str()))
            .and_then(|line| line.get("customer").cloned())
            .ok_or_else(|| CliError::input(file, format!("no line for customer_id `{id}`")))?;
    }
    let items = match &args.cart {
        Some(spec) => crate::explain_cmd::cart_items(spec, &bundle)?,
        None => json!([]),
    };
    let total: f64 = items
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["price"].as_f64().unwrap_or(0.0) * i["qty"].as_f64().unwrap_or(1.0))
        .sum();
    let count: f64 = items.as_array().into_iter().flatten().map(|i| i["qty"].as_f64().unwrap_or(1.0)).sum();
    let server = ServerFacts {
        customer,
        cart: json!({ "items": items, "total": (total * 100.0).round() / 100.0, "count": count }),
    };
    let verdict = perso_claims::verify_claim(&token, &keys, &engine, &server, now_ms);
    if args.json {
        let out = match &verdict {
            Ok(granted) => json!({ "ok": true, "kid": granted.kid, "claim": granted.claim,
                                   "single_use": "not checked here: record claim.jti in the store's ledger with the order" }),
            Err(e) => json!({ "ok": false, "code": e.code(), "reason": e.to_string() }),
        };
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    match verdict {
        Ok(granted) => {
            if !args.json {
                println!(
                    "valid: {} ({}), signed with kid {}, expires {}; record jti {} in the ledger with the order (single use)",
                    granted.claim.campaign,
                    granted.claim.terms.title,
                    granted.kid,
                    crate::clock::format_rfc3339(granted.claim.exp.saturating_mul(1000)),
                    granted.claim.jti
                );
            }
            Ok(())
        }
        Err(e) => Err(CliError::Failed(format!("claim refused ({}): {e}", e.code()))),
    }
}

pub fn sign_link(args: SignLinkArgs) -> Result<()> {
    let now_ms = args.clock.now_ms()?;
    let key = PrivateKey::load(&args.key)?;
    let source = args.source.trim().to_ascii_lowercase();
    if source.is_empty() || source.contains(['/', ':', ' ']) {
        return Err(CliError::Usage(format!(
            "--source `{}`: give the affiliate's host, e.g. gadgets.com",
            args.source
        )));
    }
    let url = args.url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) {
        return Err(CliError::Usage(format!("--url `{url}`: an http(s) URL or a path of the store")));
    }
    let now_s = now_ms.div_euclid(1000);
    let mut utm = BTreeMap::new();
    if let Some(medium) = args.medium {
        utm.insert("medium".to_owned(), medium);
    }
    if let Some(campaign) = args.campaign {
        utm.insert("campaign".to_owned(), campaign);
    }
    let jti =
        perso_claims::new_jti().map_err(|e| CliError::Failed(format!("the system's random source failed: {e}")))?;
    let link = LinkPayload {
        iat: now_s,
        exp: now_s.saturating_add(i64::from(args.expires_in_days.max(1)) * 86_400),
        jti,
        source,
        utm,
        aud: args.audience,
    };
    let token = perso_claims::sign_link(&link, &key.kid, &key.signing);
    let (base, fragment) = url.split_once('#').map_or((url, None), |(b, f)| (b, Some(f)));
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut landing = format!("{base}{separator}perso_link={token}");
    if let Some(fragment) = fragment {
        landing.push('#');
        landing.push_str(fragment);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "url": landing, "token": token, "link": link })).unwrap_or_default()
        );
    } else {
        println!("{landing}");
        eprintln!(
            "signed with kid {} for {}, expires {}",
            key.kid,
            link.source,
            crate::clock::format_rfc3339(link.exp.saturating_mul(1000))
        );
    }
    Ok(())
}
