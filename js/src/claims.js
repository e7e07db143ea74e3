// The claim click (docs/offers.md; the egress contract: docs/browser-runtime.md).
// An offer perso shows is a claim, not an entitlement: nothing on the page is
// redeemable. When the shopper clicks "Claim", the runtime makes its one request
// besides the bundle: a POST to the store's own claim endpoint (`data-claim-url`,
// same origin only) carrying the claim request and nothing else —
// `{"campaign": id, "link"?: token, "voucher"?: token}` — with no cookies
// (`credentials: "omit"`) and no Referer. The store answers with a display code the
// shopper enters at checkout, or why it will not issue one; its checkout verifies
// the signed claim and re-checks eligibility on its own facts.
//
// What may go with it: the signed landing link the shopper arrived with
// (`?perso_link=`, kept for this tab's session in sessionStorage `perso:v2:link`, and
// only in memory without consent) and, behind perso's edge worker, the edge's voucher
// of the landing request (its `perso_vouch` cookie, read on the click; without an edge
// there is no such cookie).
import { STORAGE_KEYS } from "./storage.js";

const LINK_PARAM = "perso_link";
const VOUCHER_COOKIE = "perso_vouch";
const MAX_TOKEN = 4096;
const TIMEOUT_MS = 10_000;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const token = (value) => (typeof value === "string" && value.length <= MAX_TOKEN && JWS.test(value) ? value : null);

export class Claims {
  /** `claimUrl`: the store's endpoint (null: none); `mayPersist()`. */
  constructor(win, { claimUrl, mayPersist }) {
    this.win = win;
    this.url = sameOrigin(win, claimUrl);
    this.link = this.#takeLink(mayPersist());
  }

  get available() {
    return this.url !== null;
  }

  /** The landing link from the URL (removed from the address bar), else this session's. */
  #takeLink(persist) {
    const win = this.win;
    let session = null;
    try {
      session = persist ? win.sessionStorage : null;
    } catch {
      session = null;
    }
    const url = new URL(win.location.href);
    const fromUrl = token(url.searchParams.get(LINK_PARAM));
    if (url.searchParams.has(LINK_PARAM)) {
      // The token is the shopper's, not something to share by copying the address.
      url.searchParams.delete(LINK_PARAM);
      try {
        win.history.replaceState(win.history.state, "", url.href);
      } catch {
        // A sandboxed page may refuse; the token stays in the address, harmlessly.
      }
    }
    try {
      if (fromUrl) session?.setItem(STORAGE_KEYS.link, fromUrl);
      return fromUrl ?? token(session?.getItem(STORAGE_KEYS.link)) ?? null;
    } catch {
      return fromUrl;
    }
  }

  /** The edge's voucher of this session's landing request (set only by perso's edge worker). */
  #voucher() {
    const doc = this.win.document;
    for (const part of doc.cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === VOUCHER_COOKIE) return token(part.slice(eq + 1).trim());
    }
    return null;
  }

  /**
   * POSTs the claim request; resolves `{ ok: true, display_code, title, expires_at }`
   * or `{ ok: false, reason }` (never rejects).
   */
  async claim(campaign) {
    if (!this.url) return { ok: false, reason: "This store takes no claims here." };
    const request = { campaign };
    if (this.link) request.link = this.link;
    const voucher = this.#voucher();
    if (voucher) request.voucher = voucher;
    try {
      const response = await this.win.fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request),
        credentials: "omit",
        referrerPolicy: "no-referrer",
        cache: "no-store",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = await response.json().catch(() => null);
      if (response.ok && typeof body?.display_code === "string") return { ok: true, ...body };
      return { ok: false, reason: typeof body?.reason === "string" ? body.reason : "The store could not issue this claim." };
    } catch {
      return { ok: false, reason: "The store could not be reached; try again in a moment." };
    }
  }
}

function sameOrigin(win, url) {
  if (!url) return null;
  try {
    const parsed = new URL(url, win.location.href);
    return parsed.origin === win.location.origin ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * The "Claim" button of an offer or reward (`el` is render.js's element factory);
 * `onClaim()` resolves as `Claims.claim` does. Null when the page has no claim endpoint.
 */
export function claimBlock(doc, el, onClaim) {
  if (!onClaim) return null;
  const status = el(doc, "p", { class: "terms", role: "status" });
  const button = el(doc, "button", { class: "primary", type: "button", part: "claim" }, "Claim");
  const block = el(doc, "div", { class: "claim" }, button, status);
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Claiming…";
    const result = await onClaim();
    if (result.ok) {
      const until = new Date(result.expires_at);
      block.replaceChildren(
        el(doc, "p", {}, "Your code ", el(doc, "span", { class: "code", "data-perso-claim": "" }, result.display_code)),
        el(doc, "p", { class: "terms" }, `Enter it at checkout${Number.isNaN(until.getTime()) ? "" : `; valid until ${until.toLocaleString()}`}.`));
    } else {
      button.disabled = false;
      status.setAttribute("role", "alert");
      status.textContent = result.reason;
    }
  });
  return block;
}
