// The edge vouches for what it saw (docs/offers.md). A store's checkout cannot know
// where a shopper came from, and the shopper's browser is no witness (anyone can
// type `?utm_source=...` or edit perso's local state). The edge sees the landing
// request itself: on a page request that arrives from another site (a `Referer`
// naming another host) or with UTM tags, it signs what it saw — the Referer's host,
// the `utm_*` parameters, the landing path — into a voucher, a JWS compact token
// (EdDSA/Ed25519, `typ: perso-voucher+jwt`, `kid`), set as the first-party cookie
// `perso_vouch`. On the shopper's "Claim" click the browser runtime sends it with the
// claim request; the store's claim endpoint verifies it with the edge's public key
// and lets the Referer's host (never the UTM tags: they are typed, not seen) stand
// as `session.entry_referrer_host` in the claim.
//
// Configuration: PERSO_VOUCH_KEY, a `perso keygen` key file's JSON
// ({alg: "Ed25519", kid, secret, public}; a secret binding), and optionally
// PERSO_VOUCH_TTL_S (default 86400). Without a key nothing is vouched. No voucher
// under Global Privacy Control or a denied consent cookie. Never breaks the page: a
// failure leaves the response as it was and logs one line.
//
// Hook: `withVouchers(handler)` wraps the worker's handler (edge/src/edge-entry.js),
// so vouching is independent of whether the page was personalized.

import { logEdge } from "./log.js";

export const VOUCHER_COOKIE = "perso_vouch";
export const VOUCHER_TYP = "perso-voucher+jwt";
const DEFAULT_TTL_S = 86_400;
const UTM = ["source", "medium", "campaign", "term", "content"];
const MAX_FIELD = 64;
const MAX_PATH = 256;
const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const encoder = new TextEncoder();
const keys = new Map(); // key file text -> Promise<{ kid, key }>, once per isolate

function b64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function signingKey(text) {
  let loaded = keys.get(text);
  if (!loaded) {
    loaded = (async () => {
      let file;
      try {
        file = JSON.parse(text);
      } catch {
        // Never the parser's message: it quotes the (secret) text.
        throw new Error("PERSO_VOUCH_KEY is not JSON (a perso key file)");
      }
      if (file?.alg !== "Ed25519" || typeof file.kid !== "string" || typeof file.secret !== "string") {
        throw new Error("PERSO_VOUCH_KEY is not a perso key file ({alg: Ed25519, kid, secret, public})");
      }
      const seed = Uint8Array.from(atob(file.secret), (c) => c.charCodeAt(0));
      if (seed.length !== 32) throw new Error("PERSO_VOUCH_KEY: the secret is not 32 bytes");
      const der = new Uint8Array([...PKCS8_ED25519, ...seed]);
      const key = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
      return { kid: file.kid, key };
    })();
    keys.set(text, loaded);
    loaded.catch(() => keys.delete(text));
  }
  return loaded;
}

function nonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 15; i >= 0; i--) out += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

function cookieValue(header, name) {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** What the edge saw on this request: `{ referrer_host?, utm, path }`, or null when it is no landing. */
export function seenOnLanding(request, url) {
  let referrerHost = null;
  const referer = request.headers.get("referer");
  if (referer) {
    try {
      const host = new URL(referer).hostname.toLowerCase();
      if (host && host !== url.hostname.toLowerCase()) referrerHost = host.slice(0, 253);
    } catch {
      referrerHost = null;
    }
  }
  const utm = {};
  for (const field of UTM) {
    const value = url.searchParams.get(`utm_${field}`);
    if (value) utm[field] = value.slice(0, MAX_FIELD);
  }
  if (!referrerHost && Object.keys(utm).length === 0) return null;
  const seen = {};
  if (referrerHost) seen.referrer_host = referrerHost;
  if (Object.keys(utm).length > 0) seen.utm = utm;
  seen.path = url.pathname.slice(0, MAX_PATH);
  return seen;
}

/** The `Set-Cookie` value of a voucher for this request, or null (nothing to vouch, or not allowed). */
export async function voucherCookie(request, env, nowMs) {
  if (typeof env.PERSO_VOUCH_KEY !== "string" || env.PERSO_VOUCH_KEY === "") return null;
  if (request.method !== "GET") return null;
  const cookies = request.headers.get("cookie");
  if (request.headers.get("sec-gpc")?.trim() === "1") return null;
  if (/^(denied|0|false)$/i.test(cookieValue(cookies, "perso_consent") ?? "")) return null;
  const url = new URL(request.url);
  const seen = seenOnLanding(request, url);
  if (!seen) return null;
  // UTM tags alone never replace a voucher of a landing from another site.
  if (!seen.referrer_host && cookieValue(cookies, VOUCHER_COOKIE)) return null;
  const ttl = Math.min(Math.max(Number(env.PERSO_VOUCH_TTL_S) || DEFAULT_TTL_S, 60), 30 * 86_400);
  const iat = Math.floor(nowMs / 1000);
  const { kid, key } = await signingKey(env.PERSO_VOUCH_KEY);
  const header = b64url(encoder.encode(JSON.stringify({ alg: "EdDSA", kid, typ: VOUCHER_TYP })));
  const payload = b64url(encoder.encode(JSON.stringify({ iat, exp: iat + ttl, jti: nonce(), aud: url.hostname, seen })));
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, encoder.encode(`${header}.${payload}`)));
  const secure = url.protocol === "https:" ? "; Secure" : "";
  // Readable by the page (not HttpOnly): the runtime sends it with the claim request, the one it makes on the click.
  return `${VOUCHER_COOKIE}=${header}.${payload}.${b64url(signature)}; Path=/; Max-Age=${ttl}; SameSite=Lax${secure}`;
}

const isHtml = (response) => /^(text\/html|application\/xhtml\+xml)/i.test(response.headers.get("content-type") ?? "");

/** The worker with vouchers on landing pages: `export default withVouchers(createHandler())`. */
export function withVouchers(handler, { now = () => Date.now() } = {}) {
  return {
    async fetch(request, env, ctx) {
      const response = await handler.fetch(request, env, ctx);
      if (request.method !== "GET" || response.status !== 200 || !isHtml(response)) return response;
      let cookie;
      try {
        cookie = await voucherCookie(request, env, now(request));
      } catch (error) {
        logEdge("warn", "vouch_failed", `no voucher for this landing: ${error?.message ?? error}`);
        return response;
      }
      if (!cookie) return response;
      const headers = new Headers(response.headers);
      headers.append("set-cookie", cookie);
      // A page carrying one shopper's voucher is never stored by a shared cache.
      headers.set("cache-control", "private, no-cache");
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    },
  };
}
