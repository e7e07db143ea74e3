// Builds the engine's context from what the page itself knows. Page facts (URL,
// referrer, page type, device, language) are normalized by the engine's own rules
// (perso_core::page, through the kit's `pageContext`), so this browser and the edge
// worker read a page identically; the cart, the customer, consent and local time
// are added here. Nothing leaves the device: the context goes into the wasm engine
// and nowhere else.

const CUSTOMER_FIELDS = ["known", "first_name", "ltv_band", "rfm", "segments"];

/** What the browser knows about the page, for the engine's `pageContext`. */
export function pageFacts(win) {
  const doc = win.document;
  const nav = win.navigator;
  const coarse = win.matchMedia?.("(pointer: coarse)").matches;
  const shortSide = Math.min(win.screen?.width ?? 0, win.screen?.height ?? 0);
  return {
    url: win.location.href,
    referrer: doc.referrer,
    declaredType: doc.documentElement.dataset.persoPageType || doc.body?.dataset.persoPageType || null,
    mobileHint: typeof nav.userAgentData?.mobile === "boolean" ? nav.userAgentData.mobile : null,
    userAgent: nav.userAgent || null,
    coarsePointer: typeof coarse === "boolean" ? coarse : null,
    screenShortSide: shortSide > 0 ? shortSide : null,
    language: nav.language || null,
  };
}

export const globalPrivacyControl = (win) => win.navigator.globalPrivacyControl === true;

/** The known-customer profile from a first-party `<script type="application/json" id="perso-customer">`. */
export function customerFromPage(doc) {
  const element = doc.getElementById("perso-customer");
  if (!element) return null;
  try {
    return pickCustomer(JSON.parse(element.textContent));
  } catch {
    return null;
  }
}

/** Keeps only the documented customer fields. */
export function pickCustomer(profile) {
  if (!profile || typeof profile !== "object") return null;
  const customer = {};
  for (const field of CUSTOMER_FIELDS) if (profile[field] !== undefined) customer[field] = profile[field];
  if (customer.known === undefined) customer.known = true;
  return customer;
}

/**
 * The context for a decision now. `page` is the engine's page context for this URL
 * (`{ page, device }` from `pageContext`); `cart` and `customer` come from the runtime.
 */
export function collectContext(page, { cart, customer, consent, custom }) {
  const now = new Date();
  const weekday = now.getDay() === 0 ? 7 : now.getDay();
  let total = 0;
  let count = 0;
  for (const line of cart) {
    total += (line.price ?? 0) * line.qty;
    count += line.qty;
  }
  return {
    page: page.page,
    cart: { items: cart, total: Math.round(total * 100) / 100, count },
    customer: customer ?? { known: false },
    device: page.device,
    time: { hour: now.getHours(), weekday },
    consent: { personalization: consent.personalization, gpc: consent.gpc },
    custom: custom ?? {},
  };
}
