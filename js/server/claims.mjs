// Sealed offers for Node checkouts (docs/offers.md): the JS twin of crates/perso-claims.
// A claim is a JWS compact token (RFC 7515) signed with EdDSA/Ed25519 (RFC 8037),
// header {"alg":"EdDSA","kid":..,"typ":"perso-claim+jwt"}; edge vouchers and landing
// links are the same envelope with their own `typ`. Signatures use Node's crypto (no
// hand-written crypto); the eligibility re-check is the engine's own `checkOffer`,
// through the host kit (js/src/kit) on the lean wasm package, the very engine the
// browser decided with. tests/vectors/claims.json is replayed here and natively, so
// both answer every case with the same error code.
//
//   import { parseTrustedKeys, issueClaim, verifyClaim } from "perso/server/claims.mjs";
//
// Node only (node:crypto). Nothing here is shipped to a shopper's page.
import { createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, verify as cryptoVerify } from "node:crypto";

export const TYP = Object.freeze({ claim: "perso-claim+jwt", voucher: "perso-voucher+jwt", link: "perso-link+jwt" });
export const MAX_TOKEN_LEN = 4096;
export const DEFAULT_CLAIM_TTL_S = 86_400;
export const MAX_CLAIM_TTL_S = 30 * 86_400;
export const CLOCK_SKEW_S = 300;

/** A refusal with the stable code every implementation shares (crates/perso-claims/src/error.rs). */
export class ClaimError extends Error {
  constructor(code, message, detail = {}) {
    super(message);
    this.name = "ClaimError";
    this.code = code;
    Object.assign(this, detail);
  }
}

const malformed = (reason) => new ClaimError("claim_malformed", `the token is malformed: ${reason}`);

// ----- keys -----

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/** A private key from its 32-byte seed. */
export function privateKeyFromSeed(seed) {
  const bytes = Buffer.from(seed);
  if (bytes.length !== 32) throw new TypeError("an Ed25519 seed is 32 bytes");
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, bytes]), format: "der", type: "pkcs8" });
}

/** `{kid, key, publicBase64}` from a `perso keygen` key file's JSON ({alg, kid, secret, public}). */
export function loadKeyFile(json) {
  const file = typeof json === "string" ? JSON.parse(json) : json;
  if (file?.alg !== "Ed25519" || typeof file.kid !== "string" || typeof file.secret !== "string") {
    throw new TypeError("not a perso key file ({alg: Ed25519, kid, secret, public})");
  }
  const key = privateKeyFromSeed(Buffer.from(file.secret, "base64"));
  return { kid: file.kid, key, publicBase64: publicBase64(key) };
}

/** A new key file (JSON object) for `kid`, as `perso keygen` writes it. */
export function newKeyFile(kid) {
  const seed = randomBytes(32);
  const key = privateKeyFromSeed(seed);
  return { alg: "Ed25519", kid, secret: seed.toString("base64"), public: publicBase64(key) };
}

function publicBase64(privateKey) {
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

/** `"BASE64"` (trusted whatever the kid) or `"kid1:BASE64 kid2:BASE64"` (two during a rotation). */
export function parseTrustedKeys(spec) {
  const keys = [];
  for (const entry of String(spec ?? "").replace(/,/g, " ").split(/\s+/).filter(Boolean)) {
    const colon = entry.indexOf(":");
    const kid = colon >= 0 ? entry.slice(0, colon) : null;
    const raw = Buffer.from(colon >= 0 ? entry.slice(colon + 1) : entry, "base64");
    if (raw.length !== 32) throw new TypeError(`trusted key "${entry}" is not a base64 Ed25519 public key (32 bytes)`);
    keys.push({ kid, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" }) });
  }
  return keys;
}

// ----- the envelope -----

/** The compact token for `payload` (an object), signed with `{kid, key}`. */
export function signToken(typ, payload, { kid, key }) {
  const input = `${b64(JSON.stringify({ alg: "EdDSA", kid, typ }))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), key).toString("base64url")}`;
}

const b64 = (text) => Buffer.from(text).toString("base64url");
const B64URL = /^[A-Za-z0-9_-]*$/;
const fromB64 = (text, what) => {
  if (!B64URL.test(text) || text.length % 4 === 1) throw malformed(`the ${what} is not base64url`);
  return Buffer.from(text, "base64url");
};

/** Checks a token's envelope and signature for the expected `typ`; `{kid, payload}` (parsed JSON). */
export function verifyToken(token, typ, keys) {
  const text = String(token ?? "");
  if (text.length > MAX_TOKEN_LEN) throw malformed("longer than 4096 characters");
  const parts = text.trim().split(".");
  if (parts.length !== 3) throw malformed("not three base64url parts separated by dots (JWS compact form)");
  const [headerB64, payloadB64, signatureB64] = parts;
  let header;
  try {
    header = JSON.parse(fromB64(headerB64, "header").toString("utf8"));
  } catch (error) {
    if (error instanceof ClaimError) throw error;
    throw malformed("the header is not JSON");
  }
  const field = (name) => (typeof header?.[name] === "string" ? header[name] : null);
  if (field("alg") === null) throw malformed('the header has no "alg"');
  if (field("alg") !== "EdDSA") {
    throw new ClaimError("claim_algorithm", `the token's algorithm "${field("alg").slice(0, 16)}" is not accepted (only EdDSA)`);
  }
  const found = field("typ") ?? "";
  if (found !== typ) throw new ClaimError("claim_type", `the token is a "${found.slice(0, 40)}", not a "${typ}"`);
  const kid = field("kid");
  if (kid === null) throw malformed('the header has no "kid"');
  const signature = fromB64(signatureB64, "signature");
  if (signature.length !== 64) throw malformed("the signature is not 64 bytes");
  const candidates = keys.filter((k) => k.kid === null || k.kid === kid);
  if (candidates.length === 0) {
    throw new ClaimError("claim_unknown_key", `no trusted key has id "${kid.slice(0, 64)}" (signed with a key this store does not trust)`);
  }
  const input = Buffer.from(`${headerB64}.${payloadB64}`);
  if (!candidates.some((k) => cryptoVerify(null, input, k.key, signature))) {
    throw new ClaimError("claim_signature", "the signature does not match (tampered, or signed with another key)");
  }
  const payloadBytes = fromB64(payloadB64, "payload");
  let payload;
  try {
    payload = JSON.parse(payloadBytes.toString("utf8"));
  } catch {
    throw new ClaimError("claim_malformed", "the token's payload is missing or malformed");
  }
  return { kid, payload };
}

// ----- payloads -----

const isInt = (v) => Number.isSafeInteger(v);
const isStr = (v) => typeof v === "string";
const fieldError = (field) => new ClaimError("claim_malformed", `the token's ${field} is missing or malformed`);

function validBenefit(b) {
  if (!b || typeof b !== "object") return false;
  if (b.kind === "percent_off") return typeof b.percent === "number";
  if (b.kind === "amount_off") return typeof b.amount === "number";
  return b.kind === "free_shipping";
}

function checkClaimPayload(p) {
  const ok = p && typeof p === "object" && isStr(p.campaign) && p.terms && isStr(p.terms.title) && validBenefit(p.terms.benefit)
    && isInt(p.serial) && p.serial >= 0 && isInt(p.iat) && isInt(p.exp) && isStr(p.jti) && Array.isArray(p.facts)
    && p.facts.every((f) => f && isStr(f.path) && ["edge", "link", "server"].includes(f.by)
      && (f.value === undefined || f.value === null || isStr(f.value)) && (f.ref === undefined || f.ref === null || isStr(f.ref)));
  if (!ok) throw fieldError("claim");
  return p;
}

function checkVoucherPayload(p) {
  const seen = p?.seen;
  const ok = p && isInt(p.iat) && isInt(p.exp) && isStr(p.jti) && seen && typeof seen === "object"
    && (seen.referrer_host === undefined || isStr(seen.referrer_host));
  if (!ok) throw fieldError("voucher");
  return p;
}

function checkLinkPayload(p) {
  const ok = p && isInt(p.iat) && isInt(p.exp) && isStr(p.jti) && isStr(p.source) && (p.utm === undefined || (p.utm && typeof p.utm === "object"));
  if (!ok) throw fieldError("link");
  return p;
}

function inTime(iat, exp, nowS) {
  if (nowS >= exp) throw new ClaimError("claim_expired", `expired at ${exp} (seconds since 1970); it is now ${nowS}`, { exp, now: nowS });
  if (iat > nowS + CLOCK_SKEW_S) throw new ClaimError("claim_not_yet_valid", `issued in the future (${iat}; it is now ${nowS})`);
}

// ----- where facts come from (crates/perso-core/src/provenance.rs) -----

export const SERVER_KNOWN_PREFIXES = ["customer.", "cart."];

/** "server", or the parties that may vouch for it (["edge", "link"] / ["link"]), or "shopper". */
export function provenance(path) {
  if (SERVER_KNOWN_PREFIXES.some((p) => path.startsWith(p))) return "server";
  if (path === "session.entry_referrer_host") return ["edge", "link"];
  if (["session.entry_utm.source", "session.entry_utm.medium", "session.entry_utm.campaign"].includes(path)) return ["link"];
  return "shopper";
}

export function mayVouch(by, path) {
  const p = provenance(path);
  if (by === "server") return p === "server";
  return Array.isArray(p) && p.includes(by);
}

/** The facts a voucher and a link vouch for (a link wins over the edge for one path; URL UTM tags vouch for nothing). */
export function vouchedFacts(voucher, link) {
  const facts = [];
  const put = (path, value, by, ref) => {
    if (!isStr(value) || value === "" || !mayVouch(by, path) || facts.some((f) => f.path === path)) return;
    facts.push({ path, value, by, ref });
  };
  if (link) {
    put("session.entry_referrer_host", link.source, "link", link.jti);
    put("session.entry_utm.source", link.source, "link", link.jti);
    for (const key of ["medium", "campaign"]) put(`session.entry_utm.${key}`, link.utm?.[key], "link", link.jti);
  }
  if (voucher) put("session.entry_referrer_host", voucher.seen?.referrer_host, "edge", voucher.jti);
  return facts;
}

/** The page view a re-check's session entered with: exactly the vouched facts. */
export function vouchedPageView(facts) {
  const page = { utm: {} };
  for (const f of facts) {
    if (f.by === "server" || !mayVouch(f.by, f.path) || !isStr(f.value)) continue;
    if (f.path === "session.entry_referrer_host") page.referrer_host = f.value;
    else if (f.path.startsWith("session.entry_utm.")) page.utm[f.path.slice("session.entry_utm.".length)] = f.value;
  }
  return page;
}

// ----- nonces and display codes -----

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export function jtiFromBytes(bytes) {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 15; i >= 0; i--) out += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

export const newJti = () => jtiFromBytes(randomBytes(10));
export const displayCode = (jti) => jti.match(/.{1,4}/g).join("-");

/** A typed display code back to the nonce, or null. */
export function jtiOfDisplay(typed) {
  const jti = String(typed ?? "").replace(/[-\s]/g, "").toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
  return jti.length === 16 && [...jti].every((c) => CROCKFORD.includes(c)) ? jti : null;
}

// ----- claims -----

function sameBenefit(a, b) {
  return a?.kind === b?.kind && (a.kind !== "percent_off" || a.percent === b.percent) && (a.kind !== "amount_off" || a.amount === b.amount);
}

function actionTerms(action) {
  if (action?.kind === "offer") return action.benefit ? { benefit: action.benefit, title: action.title, redeem: action.redeem, expires: action.expires_in_s } : null;
  if (action?.kind === "register" && action.reward?.benefit) return { benefit: action.reward.benefit, title: action.reward.text, redeem: action.reward.redeem };
  return null;
}

/** The campaign (host section) and its actions redeemed by a claim. */
function claimable(engine, campaign) {
  const host = engine.host.campaigns.find((c) => c.id === campaign);
  if (!host) throw new ClaimError("claim_unknown_campaign", `campaign "${campaign}" is not in the bundle this checkout runs`);
  const terms = [host.action, ...(host.variants ?? []).map((v) => v.action).filter(Boolean)]
    .map(actionTerms)
    .filter((t) => t && t.redeem === "claim");
  if (terms.length === 0) throw new ClaimError("claim_not_claimable", `campaign "${campaign}" has no offer redeemed by a claim`);
  return { host, terms };
}

function verifyVoucher(token, keys, audience, nowS) {
  try {
    const voucher = checkVoucherPayload(verifyToken(token, TYP.voucher, keys).payload);
    inTime(voucher.iat, voucher.exp, nowS);
    if (audience && voucher.aud !== audience) throw fieldError("voucher's aud (another store's)");
    return voucher;
  } catch (error) {
    throw new ClaimError("claim_voucher", `the edge voucher was refused: ${error.message}`, { cause: error });
  }
}

function verifyLink(token, keys, audience, nowS) {
  try {
    const link = checkLinkPayload(verifyToken(token, TYP.link, keys).payload);
    inTime(link.iat, link.exp, nowS);
    if (audience && link.aud && link.aud !== audience) throw fieldError("link's aud (another store's)");
    return link;
  } catch (error) {
    throw new ClaimError("claim_voucher", `the landing link was refused: ${error.message}`, { cause: error });
  }
}

/**
 * The re-check with the engine: `checkOffer` on the server's facts (`customer`, `cart`)
 * and a session that entered with exactly the vouched facts. `explain(campaign,
 * context, visitorBytes, nowMs)`, optional, returns the failing rule ({path, rule}).
 */
function recheck({ kit, engine, explain }, campaign, facts, server, jti, nowMs) {
  const context = { customer: server?.customer ?? null, cart: server?.cart ?? null };
  const visitor = kit.freshVisitor(jti, nowMs);
  try {
    engine.pageView(visitor, vouchedPageView(facts), nowMs);
    if (engine.checkOffer(campaign, context, visitor, nowMs)) return;
    const failed = explain ? explain(campaign, context, visitor.toBytes(), nowMs) : null;
    const message = failed
      ? `"${campaign}" does not apply: ${JSON.stringify(failed.rule)} is false for this order (at ${failed.path})`
      : `"${campaign}" does not apply to this order`;
    throw new ClaimError("claim_not_eligible", message, { campaign, failed: failed ?? null });
  } finally {
    visitor.free();
  }
}

/**
 * The claim endpoint. `runtime`: `{ kit, engine, explain? }` (the host kit and a loaded
 * bundle.bin); `request`: `{ campaign, voucher?, link? }` — all the browser sends;
 * `issuer`: `{ kid, key, edgeKeys, linkKeys, audience? }`. Returns `{ token, claim,
 * displayCode }` or throws a ClaimError.
 */
export function issueClaim(runtime, request, issuer, nowMs, jti = newJti()) {
  const nowS = Math.floor(nowMs / 1000);
  const campaign = String(request?.campaign ?? "");
  const { host, terms } = claimable(runtime.engine, campaign);
  const voucher = request.voucher ? verifyVoucher(request.voucher, issuer.edgeKeys ?? [], issuer.audience, nowS) : null;
  const link = request.link ? verifyLink(request.link, issuer.linkKeys ?? [], issuer.audience, nowS) : null;
  const reads = host.offer_facts ?? [];
  const facts = vouchedFacts(voucher, link).filter((f) => reads.includes(f.path));
  const server = reads.filter((p) => provenance(p) === "server");
  facts.push(...server.map((path) => ({ path, by: "server" })));
  if (server.length === 0) recheck(runtime, campaign, facts, {}, jti, nowMs);
  const [chosen] = terms;
  const ttl = Number.isSafeInteger(chosen.expires) ? chosen.expires : DEFAULT_CLAIM_TTL_S;
  const claim = {
    campaign,
    terms: { title: chosen.title, benefit: chosen.benefit },
    serial: runtime.engine.serial,
    iat: nowS,
    exp: nowS + Math.min(Math.max(ttl, 1), MAX_CLAIM_TTL_S),
    jti,
    facts: facts.map(({ path, value, by, ref }) => (value === undefined ? { path, by } : { path, value, by, ref })),
  };
  return { token: signToken(TYP.claim, claim, issuer), claim, displayCode: displayCode(jti) };
}

/**
 * The checkout: `{ claim, kid }` when the token may be applied (then record `claim.jti`
 * in the ledger, atomically with the order), else throws a ClaimError. `server`:
 * `{ customer, cart }` from the store's own records and cart.
 */
export function verifyClaim(runtime, token, keys, server, nowMs) {
  const nowS = Math.floor(nowMs / 1000);
  const { kid, payload } = verifyToken(token, TYP.claim, keys);
  const claim = checkClaimPayload(payload);
  inTime(claim.iat, claim.exp, nowS);
  const { terms } = claimable(runtime.engine, claim.campaign);
  if (!terms.some((t) => sameBenefit(t.benefit, claim.terms.benefit) && t.title === claim.terms.title)) {
    throw new ClaimError("claim_terms_changed", `the terms of "${claim.campaign}" changed since the claim was issued; claim the offer again`);
  }
  if (claim.serial > runtime.engine.serial) {
    throw new ClaimError("claim_newer_bundle", `the claim comes from bundle serial ${claim.serial}, newer than the ${runtime.engine.serial} this checkout runs`);
  }
  recheck(runtime, claim.campaign, claim.facts, server, claim.jti, nowMs);
  return { claim, kid };
}

/** A landing link token (`perso sign-link` does the same natively). */
export function signLink(link, issuer) {
  return signToken(TYP.link, link, issuer);
}
