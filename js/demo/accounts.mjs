// The demo store's sign-in, done the way a store's server does it: the password is
// checked on the server (scrypt), the session is an HttpOnly cookie, and the signed-in
// customer's profile — computed offline by `perso profiles --customers-out` — is
// rendered into the page by the server as a first-party JSON element that perso reads
// (`<script type="application/json" id="perso-customer">`). Nothing a shopper writes in
// localStorage or the page can make them someone else.
import { readFileSync } from "node:fs";
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "gizmos_session";
const MAX_FORM_BYTES = 4096;
const SESSION_MS = 8 * 3600 * 1000;

/** Only what perso's context documents for a customer; never an email or an id. */
const PROFILE_FIELDS = ["known", "first_name", "ltv_band", "rfm", "segments"];

/**
 * The JSON element for a customer profile, safe inside HTML: `<`, `>`, `&` and the
 * JavaScript line separators are escaped, so no value can close the element.
 */
export function customerElement(profile) {
  const picked = {};
  for (const field of PROFILE_FIELDS) if (profile[field] !== undefined) picked[field] = profile[field];
  const json = JSON.stringify(picked).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `<script type="application/json" id="perso-customer">${json}</script>`;
}

function verifyPassword(stored, password) {
  const [scheme, salt, hash] = String(stored).split(":");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = scryptSync(password, Buffer.from(salt, "base64"), expected.length);
  return timingSafeEqual(expected, actual);
}

function cookieValue(header, name) {
  for (const part of String(header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return null;
}

/** Reads a small urlencoded form; null if it is larger than the cap. */
async function readForm(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** A form post from another site is refused (the browser says where it came from). */
function sameOrigin(req) {
  const site = req.headers["sec-fetch-site"];
  if (site) return site === "same-origin";
  const origin = req.headers.origin;
  return !origin || origin === `http://${req.headers.host}`;
}

/**
 * The demo's accounts and sessions. `accountsPath`: data/demo-accounts.json;
 * `customersPath`: data/customers.jsonl (perso profiles --customers-out).
 */
export function createAccounts({ accountsPath, customersPath }) {
  const { accounts } = JSON.parse(readFileSync(accountsPath, "utf8"));
  const profiles = new Map();
  for (const line of readFileSync(customersPath, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    profiles.set(row.customer_id, row.customer);
  }
  const sessions = new Map(); // token -> { account, expiresMs }

  const redirect = (res, location, cookie) => {
    const headers = { Location: location, "Cache-Control": "no-store" };
    if (cookie) headers["Set-Cookie"] = cookie;
    res.writeHead(303, headers);
    res.end();
  };

  return {
    /** The signed-in customer's profile for this request, or null. */
    customerFor(req) {
      return this.accountFor(req)?.profile ?? null;
    },

    /**
     * The signed-in customer's record for this request (id, email, profile, orders
     * placed before the demo's ledger began), or null: what the checkout trusts.
     */
    accountFor(req) {
      const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
      const session = token ? sessions.get(token) : null;
      if (!session || session.expiresMs < Date.now()) return null;
      const { account } = session;
      const profile = { ...(profiles.get(account.customer_id) ?? {}), known: true, first_name: account.first_name };
      return { id: account.customer_id, email: account.email, profile, ordersBefore: account.orders_before ?? 0 };
    },

    /** POST /login and /logout; true when it handled the request. */
    async handle(req, res, pathname) {
      if (req.method !== "POST" || (pathname !== "/login" && pathname !== "/logout")) return false;
      if (!sameOrigin(req)) {
        res.writeHead(403, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("cross-site form post refused");
        return true;
      }
      if (pathname === "/logout") {
        const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
        if (token) sessions.delete(token);
        redirect(res, "/", `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`);
        return true;
      }
      const form = await readForm(req);
      const email = form?.get("email")?.trim().toLowerCase() ?? "";
      const account = accounts.find((a) => a.email === email);
      if (!form || !account || !verifyPassword(account.password, form.get("password") ?? "")) {
        redirect(res, "/login?error=1");
        return true;
      }
      const token = randomBytes(32).toString("base64url");
      sessions.set(token, { account, expiresMs: Date.now() + SESSION_MS });
      redirect(res, "/", `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${SESSION_MS / 1000}`);
      return true;
    },
  };
}
