// The Gizmos demo's store side (docs/offers.md): the claim endpoint, a
// cart → checkout → order confirmation flow, and the redemption ledger in a real
// embedded database (SQLite through better-sqlite3, a file under the data dir).
// Mounted by js/serve.mjs under /api/; pages /checkout and /order/<id> are in www/. Who
// the customer is comes from the demo's sign-in (js/demo/accounts.mjs), the server's session.
//
//   POST /api/claim          {campaign, link?, voucher?}  -> {display_code, title, expires_at} | {error, reason}
//                            (a refusal is an answer, not a failure: 200 either way; 400 for a bad request)
//   POST /api/checkout/quote {lines: [{sku, qty}], claims: [code|token], email?}  -> priced order, applied and refused
//   POST /api/orders         same body  -> 201 {order} (the ledger records each claim once) | 200 {order: null, refused...}
//   GET  /api/orders/<id>    the confirmation (the session that placed it only)
//
// The server never takes the shopper's word for a fact that gives money: prices,
// totals and categories come from its own catalog, the customer (tier, order
// count) from its own records and session, and whatever else an offer rests on
// from a signed claim — re-checked with the same engine the browser decided with.
import Database from "better-sqlite3";
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { PRODUCTS } from "../../www/catalog.mjs";
import {
  ClaimError, issueClaim, verifyClaim, parseTrustedKeys, loadKeyFile, newKeyFile, jtiOfDisplay, displayCode, newJti,
  signLink,
} from "../server/claims.mjs";
import { checkoutRuntime } from "../server/engine.mjs";

export const SESSION_COOKIE = "gizmos_sid";
const SHIPPING = 9;
const MAX_BODY = 8192;
const MAX_LINES = 50;
const MAX_CLAIMS = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, customer_id TEXT, email TEXT, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
  jti TEXT PRIMARY KEY, campaign TEXT NOT NULL, token TEXT NOT NULL, issued_ms INTEGER NOT NULL, exp_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, session TEXT, customer_id TEXT, email TEXT, body TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_email ON orders(email);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders(customer_id);
-- One row per use: "claim:<jti>" (each claim once) and, for single-use offers,
-- "customer:<campaign>:<customer>" (once per customer). The primary key is the lock.
CREATE TABLE IF NOT EXISTS redemptions (
  key TEXT PRIMARY KEY, order_id TEXT NOT NULL, campaign TEXT NOT NULL, jti TEXT, created_ms INTEGER NOT NULL);
`;

/**
 * The redemption ledger on a SQLite file: safe across processes (WAL, a busy
 * timeout, BEGIN IMMEDIATE), so two servers on one file still redeem a claim once.
 */
export class Ledger {
  constructor(file) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    this.q = {
      session: this.db.prepare("SELECT * FROM sessions WHERE id = ?"),
      newSession: this.db.prepare("INSERT INTO sessions (id, customer_id, email, created_ms) VALUES (?, ?, ?, ?)"),
      setCustomer: this.db.prepare("UPDATE sessions SET customer_id = ?, email = ? WHERE id = ?"),
      addClaim: this.db.prepare("INSERT INTO claims (jti, campaign, token, issued_ms, exp_ms) VALUES (?, ?, ?, ?, ?)"),
      claim: this.db.prepare("SELECT token FROM claims WHERE jti = ?"),
      ordersOf: this.db.prepare("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?"),
      ordersByEmail: this.db.prepare("SELECT COUNT(*) AS n FROM orders WHERE email = ? AND customer_id IS NULL"),
      addOrder: this.db.prepare("INSERT INTO orders (id, session, customer_id, email, body, created_ms) VALUES (?, ?, ?, ?, ?, ?)"),
      order: this.db.prepare("SELECT * FROM orders WHERE id = ?"),
      redeem: this.db.prepare("INSERT INTO redemptions (key, order_id, campaign, jti, created_ms) VALUES (?, ?, ?, ?, ?)"),
      redemption: this.db.prepare("SELECT order_id, created_ms FROM redemptions WHERE key = ?"),
    };
    // The order and every use it makes of a claim commit together, or not at all.
    this.placeOrder = this.db.transaction((order, uses) => {
      for (const use of uses) {
        const taken = this.q.redemption.get(use.key);
        if (taken) throw Object.assign(new Error("already used"), { use, taken });
      }
      this.q.addOrder.run(order.id, order.session, order.customer_id, order.email, JSON.stringify(order.body), order.created_ms);
      for (const use of uses) {
        try {
          this.q.redeem.run(use.key, order.id, use.campaign, use.jti ?? null, order.created_ms);
        } catch (error) {
          // Another connection got there between our read and our write: the key is the lock.
          if (error.code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw Object.assign(new Error("already used"), { use, taken: this.q.redemption.get(use.key) });
          throw error;
        }
      }
    });
  }

  /** Records an order and its uses atomically (BEGIN IMMEDIATE); `{ ok }` or `{ used, taken }`. */
  place(order, uses) {
    try {
      this.placeOrder.immediate(order, uses);
      return { ok: true };
    } catch (error) {
      if (error.message === "already used") return { used: error.use, taken: error.taken };
      throw error;
    }
  }

  close() {
    this.db.close();
  }
}

function readKeyFile(dir, name, kid) {
  const file = join(dir, name);
  if (!existsSync(file)) {
    writeFileSync(file, `${JSON.stringify(newKeyFile(kid))}\n`, { mode: 0o600, flag: "wx" });
  }
  chmodSync(file, 0o600);
  return { ...loadKeyFile(readFileSync(file, "utf8")), file };
}

const money = (n) => Math.round(n * 100) / 100;

function json(res, status, body, headers = {}) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (!type.startsWith("application/json")) return { error: "send application/json" };
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return { error: `the body is over ${MAX_BODY} bytes` };
    chunks.push(chunk);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? { value } : { error: "send a JSON object" };
  } catch {
    return { error: "the body is not JSON" };
  }
}

function cookieOf(req, name) {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const sameText = (a, b) => {
  const x = createHash("sha256").update(String(a)).digest();
  const y = createHash("sha256").update(String(b)).digest();
  return timingSafeEqual(x, y);
};

/** Why a claim is refused, in words for the shopper (never a tier or a segment name). */
export function shopperReason(error, input) {
  const shown = String(input ?? "").slice(0, 40);
  switch (error.code) {
    case "claim_unknown":
      return `${shown} is not a claim this store issued. Offers are claimed with their Claim button; a claim's code looks like XXXX-XXXX-XXXX-XXXX.`;
    case "claim_malformed":
      return `${shown} is not a claim code. Offers are claimed with their Claim button; a claim's code looks like XXXX-XXXX-XXXX-XXXX.`;
    case "claim_signature":
      return "This claim was altered after the store issued it.";
    case "claim_unknown_key":
      return "This claim was not signed by this store.";
    case "claim_algorithm":
    case "claim_type":
      return "This is not a claim this store issues.";
    case "claim_expired":
      return "This claim has expired.";
    case "claim_not_yet_valid":
      return "This claim is not valid yet.";
    case "claim_used":
      return "This claim was already used for an earlier order.";
    case "claim_once_per_customer":
      return "This offer can be used once per customer, and you have used it already.";
    case "claim_unknown_campaign":
    case "claim_not_claimable":
      return "This offer is no longer available.";
    case "claim_terms_changed":
      return "This offer changed since you claimed it; claim it again.";
    case "claim_newer_bundle":
      return "This claim is newer than the offers this checkout knows; try again in a few minutes.";
    case "claim_one_per_kind":
      return "Only one offer of this kind applies per order.";
    case "claim_not_eligible":
      return notEligibleReason(error.failed);
    default:
      return "This claim could not be checked.";
  }
}

/** The failing rule in plain words, from the paths it reads. */
function notEligibleReason(failed) {
  const rule = JSON.stringify(failed?.rule ?? null);
  const number = rule.match(/\[\{"var":"cart\.total"\},(\d+(?:\.\d+)?)\]/);
  if (rule.includes('"cart.total"') && number) return `This offer needs an order total over $${number[1]}.`;
  if (rule.includes('"customer.orders"')) return "This offer is for a first order, and this email or account has ordered before.";
  if (rule.includes('"customer.')) return "This offer is not available for this account. Sign in with the account it was made for.";
  if (rule.includes('"session.entry_referrer_host"') || rule.includes('"session.entry_utm.')) {
    return "Nothing vouches that you arrived from the partner site this offer is for (a signed partner link, or our edge seeing the visit).";
  }
  if (rule.includes('"cart.')) return "This offer does not apply to the items in this order.";
  return "This offer's conditions are not met by this order.";
}

/**
 * Mounts the store side. Options: `dataDir` (created; holds ledger.sqlite and the
 * claim and link key files), `bundleBin` / `bundleJson` (what the pages get),
 * `edgeKeys` (trusted voucher keys, `kid:BASE64 ...`), `now()` (the clock; tests move it),
 * `secure` (cookies with Secure). Returns `{ handle(req, res, pathname) -> bool, ... }`.
 */
/**
 * The store side. `accounts`: the demo's sign-in (js/demo/accounts.mjs) — who the
 * request's customer is, from the server's own session; without it every order is a guest's.
 */
export async function createStore({ dataDir, bundleBin, bundleJson, accounts = null, edgeKeys = "", now = () => Date.now(), secure = false }) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const ledger = new Ledger(join(dataDir, "ledger.sqlite"));
  const claimKey = readKeyFile(dataDir, "claim-key.json", "gizmos-claims-1");
  const linkKey = readKeyFile(dataDir, "link-key.json", "gizmos-links-1");
  const claimKeys = parseTrustedKeys(`${claimKey.kid}:${claimKey.publicBase64}`);
  const issuer = {
    kid: claimKey.kid,
    key: claimKey.key,
    edgeKeys: parseTrustedKeys(edgeKeys),
    linkKeys: parseTrustedKeys(`${linkKey.kid}:${linkKey.publicBase64}`),
  };
  const runtime = await checkoutRuntime(bundleBin, { sourceJson: bundleJson });
  const products = new Map(PRODUCTS.map((p) => [p.sku, p]));
  const offerOf = (campaign) => runtime.engine.host.campaigns.find((c) => c.id === campaign);

  // ----- sessions and the customer's records -----

  function session(req) {
    const id = cookieOf(req, SESSION_COOKIE);
    return id && /^[A-Za-z0-9_-]{20,64}$/.test(id) ? ledger.q.session.get(id) ?? null : null;
  }

  function sessionCookie(id, maxAgeS = 30 * 86_400) {
    return `${SESSION_COOKIE}=${id}; Path=/api; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure ? "; Secure" : ""}`;
  }

  /** `customer.*` as the store's records have it (a guest: known false, orders by email). */
  function customerFacts(req, email) {
    const account = accounts?.accountFor(req) ?? null;
    if (account) {
      const { known, first_name, ltv_band, rfm, segments } = account.profile;
      return { facts: { known, first_name, ltv_band, rfm, segments, orders: account.ordersBefore + ledger.q.ordersOf.get(account.id).n }, account };
    }
    const guest = { known: false };
    if (email) guest.orders = ledger.q.ordersByEmail.get(email).n;
    return { facts: guest, account: null };
  }

  // ----- pricing an order -----

  function cartOf(lines) {
    if (!Array.isArray(lines) || lines.length > MAX_LINES) return { error: "the order has no lines, or too many" };
    const items = [];
    for (const line of lines) {
      const product = products.get(line?.sku);
      const qty = Number(line?.qty ?? 1);
      if (!product) return { error: `unknown product ${String(line?.sku).slice(0, 20)}` };
      if (!Number.isInteger(qty) || qty < 1 || qty > 99) return { error: `quantity of ${product.sku} must be 1-99` };
      const existing = items.find((i) => i.sku === product.sku);
      if (existing) existing.qty += qty;
      else items.push({ sku: product.sku, name: product.name, category: product.category, price: product.price, qty });
    }
    if (items.length === 0) return { error: "the order has no lines" };
    const total = money(items.reduce((sum, i) => sum + i.price * i.qty, 0));
    return { cart: { items, total, count: items.reduce((n, i) => n + i.qty, 0) } };
  }

  /** A code or token the shopper entered, as a token: display codes are looked up. */
  function tokenOf(input) {
    const text = String(input ?? "").trim();
    if (text.includes(".")) return text;
    const jti = jtiOfDisplay(text);
    const row = jti ? ledger.q.claim.get(jti) : null;
    if (!row) throw new ClaimError(jti ? "claim_unknown" : "claim_malformed", `${text.slice(0, 40)} is not a claim this store issued`);
    return row.token;
  }

  /** Prices the order and checks each claim; nothing is recorded. */
  function quote(body, req) {
    const email = typeof body.email === "string" && /^[^@\s]{1,64}@[^@\s]{1,128}$/.test(body.email.trim()) ? body.email.trim().toLowerCase() : null;
    const priced = cartOf(body.lines);
    if (priced.error) return { error: priced.error };
    const { facts: customer, account } = customerFacts(req, email);
    const server = { customer, cart: priced.cart };
    const nowMs = now();
    const applied = [];
    const refused = [];
    const kinds = new Set();
    const inputs = Array.isArray(body.claims) ? body.claims.filter((c) => typeof c === "string" && c.trim() !== "").slice(0, MAX_CLAIMS) : [];
    for (const input of inputs) {
      try {
        const { claim } = verifyClaim(runtime, tokenOf(input), claimKeys, server, nowMs);
        const used = ledger.q.redemption.get(`claim:${claim.jti}`);
        if (used) throw new ClaimError("claim_used", "already used", { order: used.order_id });
        const who = account?.id ?? email;
        const singleUse = offerOf(claim.campaign)?.action?.single_use === true;
        if (singleUse && who && ledger.q.redemption.get(`customer:${claim.campaign}:${who}`)) {
          throw new ClaimError("claim_once_per_customer", "once per customer");
        }
        const kind = claim.terms.benefit.kind === "free_shipping" ? "shipping" : "discount";
        if (kinds.has(kind)) throw new ClaimError("claim_one_per_kind", "one per kind");
        kinds.add(kind);
        const uses = [{ key: `claim:${claim.jti}`, campaign: claim.campaign, jti: claim.jti }];
        if (singleUse && who) uses.push({ key: `customer:${claim.campaign}:${who}`, campaign: claim.campaign, jti: claim.jti });
        applied.push({ input: input.trim().slice(0, 40).includes(".") ? displayCode(claim.jti) : input.trim(), code: displayCode(claim.jti), campaign: claim.campaign, title: claim.terms.title, benefit: claim.terms.benefit, uses });
      } catch (error) {
        if (!(error instanceof ClaimError)) throw error;
        refused.push({ input: String(input).trim().slice(0, 40), error: error.code, reason: shopperReason(error, String(input).trim()) });
      }
    }
    const subtotal = priced.cart.total;
    let discount = 0;
    let shipping = SHIPPING;
    for (const a of applied) {
      const b = a.benefit;
      if (b.kind === "percent_off") a.amount = money(subtotal * (b.percent / 100));
      else if (b.kind === "amount_off") a.amount = money(Math.min(b.amount, subtotal));
      else a.amount = SHIPPING;
      if (b.kind === "free_shipping") shipping = 0;
      else discount = money(discount + a.amount);
    }
    return {
      quote: {
        lines: priced.cart.items.map((i) => ({ sku: i.sku, name: i.name, qty: i.qty, price: i.price, line_total: money(i.price * i.qty) })),
        subtotal, discount, shipping, total: money(subtotal - discount + shipping),
        applied, refused, email, customer: account ? { first_name: account.profile.first_name } : null,
      },
      account,
    };
  }

  const publicQuote = (q) => ({ ...q, applied: q.applied.map(({ uses, ...rest }) => rest) });

  // ----- routes -----

  async function handle(req, res, pathname) {
    if (!pathname.startsWith("/api/")) return false;
    const sess = session(req);
    if (req.method === "GET") {
      const match = pathname.match(/^\/api\/orders\/([A-Za-z0-9-]{8,40})$/);
      if (!match) return json(res, 404, { error: "not found" }), true;
      const row = ledger.q.order.get(match[1]);
      if (!row || !sess || row.session !== sess.id) return json(res, 404, { error: "no such order for this session" }), true;
      return json(res, 200, { id: row.id, created_ms: row.created_ms, ...JSON.parse(row.body) }), true;
    }
    if (req.method !== "POST") return json(res, 405, { error: "POST or GET" }, { Allow: "GET, POST" }), true;
    // Same-site posts only (the claim endpoint carries no cookie, the others do).
    const site = req.headers["sec-fetch-site"];
    if (site && site !== "same-origin" && site !== "none") return json(res, 403, { error: "cross-site posts are refused" }), true;
    const body = await readJson(req);
    if (body.error) return json(res, 400, { error: body.error }), true;
    const input = body.value;
    switch (pathname) {
      case "/api/claim": {
        // The one request perso's runtime makes besides the bundle: the campaign and
        // at most a landing link and an edge voucher (docs/browser-runtime.md).
        const allowed = new Set(["campaign", "link", "voucher"]);
        if (Object.keys(input).some((k) => !allowed.has(k)) || typeof input.campaign !== "string") {
          return json(res, 400, { error: "claim_request", reason: "send {campaign, link?, voucher?} only" }), true;
        }
        try {
          const request = {
            campaign: input.campaign,
            link: typeof input.link === "string" ? input.link : undefined,
            voucher: typeof input.voucher === "string" ? input.voucher : undefined,
          };
          const issued = issueClaim(runtime, request, issuer, now(), newJti());
          ledger.q.addClaim.run(issued.claim.jti, issued.claim.campaign, issued.token, issued.claim.iat * 1000, issued.claim.exp * 1000);
          return json(res, 200, { display_code: issued.displayCode, title: issued.claim.terms.title, expires_at: new Date(issued.claim.exp * 1000).toISOString() }), true;
        } catch (error) {
          if (!(error instanceof ClaimError)) throw error;
          return json(res, 200, { error: error.code, reason: shopperReason(error, input.campaign) }), true;
        }
      }
      case "/api/checkout/quote": {
        const result = quote(input, req);
        if (result.error) return json(res, 400, { error: result.error }), true;
        return json(res, 200, publicQuote(result.quote)), true;
      }
      case "/api/orders": {
        const result = quote(input, req);
        if (result.error) return json(res, 400, { error: result.error }), true;
        const q = result.quote;
        if (input.claims?.length && q.refused.length > 0) return json(res, 200, { order: null, ...publicQuote(q) }), true;
        let sid = sess?.id;
        const headers = {};
        if (!sid) {
          sid = randomBytes(24).toString("base64url");
          ledger.q.newSession.run(sid, null, q.email, now());
          headers["Set-Cookie"] = sessionCookie(sid);
        }
        const order = {
          id: `G-${randomBytes(6).toString("hex").toUpperCase()}`,
          session: sid,
          customer_id: result.account?.id ?? null,
          email: result.account ? null : q.email,
          body: publicQuote(q),
          created_ms: now(),
        };
        const placed = ledger.place(order, q.applied.flatMap((a) => a.uses));
        if (placed.used) {
          // Another order took this claim between the quote and now.
          const a = q.applied.find((x) => x.uses.includes(placed.used));
          const error = new ClaimError(placed.used.key.startsWith("claim:") ? "claim_used" : "claim_once_per_customer", "already used");
          const refusedNow = { order: null, ...publicQuote(q), refused: [...q.refused, { input: a?.input, error: error.code, reason: shopperReason(error) }] };
          return json(res, 200, refusedNow, headers), true;
        }
        return json(res, 201, { order: order.id }, headers), true;
      }
      default:
        return json(res, 404, { error: "not found" }), true;
    }
  }

  /** A landing link for an affiliate, signed with the store's link key (what `perso sign-link` makes). */
  function affiliateLink(source, url, nowMs = now()) {
    const nowS = Math.floor(nowMs / 1000);
    const token = signLink({ iat: nowS, exp: nowS + 90 * 86_400, jti: newJti(), source, utm: { medium: "affiliate" } }, linkKey);
    return `${url}${url.includes("?") ? "&" : "?"}perso_link=${token}`;
  }

  return {
    handle,
    ledger,
    runtime,
    affiliateLink,
    claimKey: { kid: claimKey.kid, publicBase64: claimKey.publicBase64, file: claimKey.file },
    linkKey: { kid: linkKey.kid, publicBase64: linkKey.publicBase64, file: linkKey.file },
    close() {
      runtime.free();
      ledger.close();
    },
  };
}
