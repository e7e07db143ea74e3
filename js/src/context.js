// Builds the engine's context from what the page itself knows. Nothing here leaves the
// device: the context goes into the wasm engine and nowhere else.

const UTM_FIELDS = ["source", "medium", "campaign", "term", "content"];
const CUSTOMER_FIELDS = ["known", "first_name", "ltv_band", "rfm", "segments"];

export function utmFrom(url) {
  const utm = {};
  for (const field of UTM_FIELDS) {
    const value = url.searchParams.get(`utm_${field}`);
    if (value) utm[field] = value.slice(0, 128);
  }
  return utm;
}

export function referrerHost(referrer) {
  try {
    return referrer ? new URL(referrer).hostname : "";
  } catch {
    return "";
  }
}

/** The page type: `data-perso-page-type` on <html> or <body>, else guessed from the path. */
export function pageType(doc, path) {
  const declared = doc.documentElement.dataset.persoPageType || doc.body?.dataset.persoPageType;
  if (declared) return declared;
  if (path === "/" || path === "/index.html") return "home";
  const first = path.split("/")[1] ?? "";
  if (/^(category|categories|collections?|c)$/.test(first)) return "category";
  if (/^(product|products|p|item)$/.test(first)) return "product";
  if (/^(cart|basket|bag)$/.test(first)) return "cart";
  if (/^checkout$/.test(first)) return "checkout";
  return "other";
}

export function deviceType(win) {
  const uaMobile = win.navigator.userAgentData?.mobile;
  const coarse = win.matchMedia?.("(pointer: coarse)").matches;
  const shortSide = Math.min(win.screen?.width ?? 0, win.screen?.height ?? 0);
  if (uaMobile === true || (coarse && shortSide < 600)) return "mobile";
  if (coarse && shortSide >= 600) return "tablet";
  return "desktop";
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

/** The context for a decision now. `cart` and `customer` come from the runtime's state. */
export function collectContext(win, { cart, customer, consent, custom }) {
  const url = new URL(win.location.href);
  const doc = win.document;
  const now = new Date();
  const weekday = now.getDay() === 0 ? 7 : now.getDay();
  const total = cart.reduce((sum, line) => sum + (line.price ?? 0) * line.qty, 0);
  const count = cart.reduce((sum, line) => sum + line.qty, 0);
  return {
    page: {
      url: url.origin + url.pathname, // no query string: it may carry personal data
      path: url.pathname,
      type: pageType(doc, url.pathname),
      referrer: doc.referrer ? doc.referrer.split("?")[0] : "",
      referrer_host: referrerHost(doc.referrer),
      utm: utmFrom(url),
    },
    cart: { items: cart, total: Math.round(total * 100) / 100, count },
    customer: customer ?? { known: false },
    device: { type: deviceType(win), language: win.navigator.language || "" },
    time: { hour: now.getHours(), weekday },
    consent: { personalization: consent.personalization, gpc: consent.gpc },
    custom: custom ?? {},
  };
}
