// Renders decided placements with the DOM API only: every string from the bundle goes
// in as text (never HTML), links only to http(s) URLs or same-origin paths. Each piece
// lives in a Shadow DOM root so the store's CSS cannot break it (and vice versa).
import { adoptStyles } from "./styles.js";
import { claimBlock } from "./claims.js";

export const DEVICE_NOTE = "This was worked out on your device from this visit; nothing about your visit was sent anywhere.";

/**
 * `url` resolved against `base` if the engine's URL rule (perso_core::url, through
 * `isSafe`) allows it, else null: one rule for every renderer.
 */
export function safeUrl(url, base, isSafe) {
  if (typeof url !== "string" || !isSafe(url)) return null;
  try {
    const parsed = new URL(url, base);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A small element factory: `el("p", { class: "x" }, "text", child)`; strings become text nodes. */
export function el(doc, tag, attributes = {}, ...children) {
  const element = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" || typeof child === "number" ? doc.createTextNode(String(child)) : child);
  }
  return element;
}

/** Largest image perso fetches for a rendered placement. */
const MAX_IMAGE_BYTES = 2 * 1024 * 1024;

/**
 * An image whose request carries nothing about the visitor: which image a placement
 * shows depends on the decision (a stated interest, a segment), so perso fetches it
 * itself without cookies, Referer or query, and shows the bytes from a `blob:` URL (the
 * page's CSP needs `img-src blob:`). A same-origin image is fetched same-origin only; a
 * CDN's needs CORS (image CDNs send it). An image that cannot be fetched so is left
 * out rather than requested the ordinary way.
 */
function privateImage(doc, url, attributes) {
  const img = el(doc, "img", { alt: "", ...attributes });
  const win = doc.defaultView;
  const sameOrigin = new URL(url).origin === win.location.origin;
  win.fetch(url, { credentials: "omit", referrerPolicy: "no-referrer", mode: sameOrigin ? "same-origin" : "cors", cache: "force-cache" })
    .then(async (response) => {
      const type = response.headers.get("content-type") ?? "";
      if (!response.ok || !type.startsWith("image/")) throw new Error(`image ${response.status} ${type}`);
      const blob = await response.blob();
      if (blob.size > MAX_IMAGE_BYTES) throw new Error("image too large");
      const blobUrl = URL.createObjectURL(blob);
      img.addEventListener("load", () => URL.revokeObjectURL(blobUrl), { once: true });
      img.addEventListener("error", () => URL.revokeObjectURL(blobUrl), { once: true });
      img.src = blobUrl;
    })
    .catch(() => img.remove());
  return img;
}

function whyDisclosure(doc, why) {
  return el(doc, "details", { class: "why", part: "why" },
    el(doc, "summary", {}, "Why am I seeing this?"),
    el(doc, "p", {}, `${why ? `${why} ` : ""}${DEVICE_NOTE}`));
}

function link(doc, cta, base, className, onClick, isSafe) {
  const href = safeUrl(cta?.url, base, isSafe);
  if (!href || !cta?.label) return null;
  const anchor = el(doc, "a", { class: className, href, part: className }, cta.label);
  anchor.addEventListener("click", onClick);
  return anchor;
}

function formatPrice(price, currency, locale) {
  if (typeof price !== "number") return null;
  try {
    return new Intl.NumberFormat(locale || undefined, { style: "currency", currency }).format(price);
  } catch {
    return price.toFixed(2);
  }
}

/** Content for a slot placement (banner, recommend, welcome); null for other kinds. */
export function slotContent(doc, placed, { base, currency, locale, onClick, safeUrl: isSafe }) {
  const { action, why } = placed;
  switch (action.kind) {
    case "banner": {
      const image = safeUrl(action.image, base, isSafe);
      return el(doc, "section", { class: "banner", part: "banner", "aria-label": action.title },
        image ? privateImage(doc, image) : null,
        el(doc, "h2", {}, action.title),
        action.body ? el(doc, "p", {}, action.body) : null,
        link(doc, action.cta, base, "cta", onClick, isSafe),
        whyDisclosure(doc, why));
    }
    case "welcome":
      return el(doc, "div", { class: "welcome", part: "welcome" }, action.text);
    case "recommend": {
      const items = (action.items ?? []).map((item) => {
        const href = safeUrl(item.url, base, isSafe);
        const image = safeUrl(item.image, base, isSafe);
        const body = [
          image ? privateImage(doc, image) : null,
          el(doc, "span", { class: "name" }, item.name),
          typeof item.price === "number" ? el(doc, "span", { class: "price" }, formatPrice(item.price, currency, locale)) : null,
        ];
        const anchor = href ? el(doc, "a", { href, "data-sku": item.sku }, ...body) : el(doc, "div", {}, ...body);
        if (href) anchor.addEventListener("click", onClick);
        return el(doc, "li", {}, anchor);
      });
      if (items.length === 0) return null;
      return el(doc, "section", { class: "strip", part: "strip", "aria-label": action.title },
        el(doc, "h2", {}, action.title), el(doc, "ul", {}, ...items), whyDisclosure(doc, why));
    }
    default:
      return null;
  }
}

let popupCount = 0;

/**
 * An instant offer or registration prompt as a toast or a modal dialog, in its own
 * Shadow DOM host appended to <body>. Returns `{ host, close }`.
 * Handlers: onDismiss() (closed before it was acted on), onClosed() (any close),
 * onClick(), onRegister(interests) -> reward or null, onClaim() -> the claim endpoint's
 * answer (null: the page has none).
 */
export function openPopup(doc, placed, { base, onDismiss, onClosed = () => {}, onClick, onRegister, onClaim = null, safeUrl: isSafe }) {
  const { action, why } = placed;
  // A registration prompt without a display (bundles before 0.2) is a dialog.
  const modal = action.display === "modal" || (action.kind === "register" && action.display === undefined);
  const id = `perso-popup-${++popupCount}`;
  const host = el(doc, "perso-popup", { "data-perso-campaign": placed.campaign, "data-perso-placement": placed.placement });
  const root = host.attachShadow({ mode: "open" });
  adoptStyles(root);
  const previouslyFocused = doc.activeElement;
  const titleId = `${id}-title`;
  let answered = false;
  const closeButton = el(doc, "button", { class: "close", type: "button", "aria-label": "Close" }, "×");
  const box = el(doc, "div", {
    class: `popup ${modal ? "modal" : "toast layer"}`,
    role: "dialog",
    "aria-modal": modal ? "true" : "false",
    "aria-labelledby": titleId,
    part: "popup",
  }, closeButton, el(doc, "h2", { id: titleId }, action.title));

  if (action.kind === "offer") {
    if (action.body) box.append(el(doc, "p", {}, action.body));
    if (action.code) box.append(el(doc, "p", {}, "Use code ", el(doc, "span", { class: "code" }, action.code)));
    else if (action.redeem === "claim") box.append(claimBlock(doc, el, onClaim) ?? "");
    else if (action.redeem === "checkout") box.append(el(doc, "p", { class: "terms" }, "Applied at checkout to eligible orders."));
    if (action.expires_in_s) {
      const hours = Math.round(action.expires_in_s / 3600);
      box.append(el(doc, "p", { class: "terms" }, hours >= 48 ? `Valid for ${Math.round(hours / 24)} days.` : `Valid for ${hours} hours.`));
    }
    if (action.terms) box.append(el(doc, "p", { class: "terms" }, action.terms));
    const cta = link(doc, action.cta, base, "cta", onClick, isSafe);
    if (cta) box.append(cta);
  } else if (action.kind === "register") {
    if (action.body) box.append(el(doc, "p", {}, action.body));
    const form = el(doc, "form", { novalidate: true });
    for (const question of action.questions ?? []) {
      const fieldset = el(doc, "fieldset", {}, el(doc, "legend", {}, question.label));
      for (const option of question.options ?? []) {
        const input = el(doc, "input", {
          type: question.multiple ? "checkbox" : "radio",
          name: question.id,
          value: option.value,
        });
        fieldset.append(el(doc, "label", { class: "option" }, input, option.label));
      }
      form.append(fieldset);
    }
    form.append(el(doc, "button", { class: "primary", type: "submit" }, action.submit_label || "Submit"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const interests = [...form.querySelectorAll("input:checked")].map((input) => input.value);
      answered = true; // closing the thank-you note is not a dismissal
      const reward = onRegister(interests);
      form.replaceChildren(el(doc, "p", { role: "status" }, "Thanks! Your answers stay on this device."));
      if (reward?.text) form.append(el(doc, "p", {}, reward.text));
      if (reward?.code) form.append(el(doc, "p", {}, "Use code ", el(doc, "span", { class: "code" }, reward.code)));
      else if (reward?.redeem === "claim") form.append(claimBlock(doc, el, onClaim) ?? "");
      closeButton.focus();
    });
    box.append(form);
  }
  box.append(whyDisclosure(doc, why));

  const container = modal ? el(doc, "div", { class: "layer backdrop" }, box) : box;
  root.append(container);

  let open = true;
  const close = (reason) => {
    if (!open) return;
    open = false;
    doc.removeEventListener("keydown", onKeydown);
    host.remove();
    if (modal && previouslyFocused && typeof previouslyFocused.focus === "function") previouslyFocused.focus();
    if (reason === "dismiss" && !answered) onDismiss();
    onClosed();
  };
  const onKeydown = (event) => {
    if (event.key === "Escape") {
      close("dismiss");
      return;
    }
    if (modal && event.key === "Tab") {
      // Keep focus inside the dialog.
      const focusable = [...box.querySelectorAll("button, a[href], input, select, textarea, summary")];
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = root.activeElement;
      if (event.shiftKey && active === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }
  };
  closeButton.addEventListener("click", () => close("dismiss"));
  doc.addEventListener("keydown", onKeydown);
  if (modal) {
    container.addEventListener("click", (event) => {
      if (event.target === container) close("dismiss");
    });
  }
  doc.body.append(host);
  if (modal) (box.querySelector("input") ?? closeButton).focus();
  return { host, close };
}
