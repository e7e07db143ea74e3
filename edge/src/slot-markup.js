// HTML for each action kind (markup contract: docs/edge-deploy.md §1.4). Every text
// from the bundle goes through `escapeHtml` and every URL through `options.safeUrl`,
// the engine's one URL rule (perso_core::url, the kit's `safeUrl`, which the browser
// runtime uses too): the bundle's words are inserted as text, never as markup.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The URL when the engine's rule lets it be rendered, else null (no javascript:, data:, //host, ...). */
const allowed = (url, options) => (typeof url === "string" && options.safeUrl(url) ? url : null);

const formatters = new Map();
function formatPrice(price, { locale, currency }) {
  const key = `${locale}|${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency });
    formatters.set(key, format);
  }
  return format.format(price);
}

const el = (tag, cls, inner, attrs = "") => `<${tag} class="${cls}"${attrs}>${inner}</${tag}>`;
const text = (tag, cls, value) => (value ? el(tag, cls, escapeHtml(value)) : "");

function link(cls, cta, options) {
  const href = cta && allowed(cta.url, options);
  return href ? `<a class="${cls}" href="${escapeHtml(href)}">${escapeHtml(cta.label)}</a>` : "";
}

function image(cls, src, options) {
  const url = allowed(src, options);
  return url ? `<img class="${cls}" src="${escapeHtml(url)}" alt="" loading="lazy">` : "";
}

function dismissForm(campaign, options) {
  return (
    `<form class="perso-dismiss" method="post" action="${options.actionPath}dismiss">` +
    `<input type="hidden" name="campaign" value="${escapeHtml(campaign)}">` +
    `<input type="hidden" name="return" value="${escapeHtml(options.returnPath)}">` +
    `<button type="submit" class="perso-dismiss__button" aria-label="Dismiss">\u00d7</button></form>`
  );
}

function why(placed) {
  return placed.why
    ? `<details class="perso-why"><summary>Why am I seeing this?</summary><p>${escapeHtml(placed.why)}</p></details>`
    : "";
}

function banner(action, options) {
  return el(
    "div",
    "perso-banner",
    image("perso-banner__image", action.image, options) +
      text("h2", "perso-banner__title", action.title) +
      text("p", "perso-banner__body", action.body) +
      link("perso-banner__cta", action.cta, options),
  );
}

function offer(action, placed, options) {
  const display = action.display === "modal" ? "modal" : "toast";
  const expires = Number.isFinite(action.expires_in_s)
    ? ` data-perso-expires-at="${options.nowMs + action.expires_in_s * 1000}"`
    : "";
  const code = action.code
    ? `<p class="perso-offer__code">Code: <code>${escapeHtml(action.code)}</code></p>`
    : "";
  return el(
    "div",
    `perso-offer perso-offer--${display}`,
    text("h2", "perso-offer__title", action.title) +
      text("p", "perso-offer__body", action.body) +
      code +
      text("p", "perso-offer__terms", action.terms) +
      link("perso-offer__cta", action.cta, options) +
      dismissForm(placed.campaign, options),
    ` role="dialog" aria-label="${escapeHtml(action.title)}"${expires}`,
  );
}

function recommend(action, options) {
  const items = (action.items ?? [])
    .map((item) => {
      const href = allowed(item.url, options);
      const price = Number.isFinite(item.price)
        ? `<span class="perso-recommend__price">${escapeHtml(formatPrice(item.price, options))}</span>`
        : "";
      const inner = image("perso-recommend__image", item.image, options) + text("span", "perso-recommend__name", item.name) + price;
      const body = href ? `<a href="${escapeHtml(href)}">${inner}</a>` : inner;
      return `<li class="perso-recommend__item" data-sku="${escapeHtml(item.sku)}">${body}</li>`;
    })
    .join("");
  return el("section", "perso-recommend", text("h2", "perso-recommend__title", action.title) + `<ul>${items}</ul>`);
}

function register(action, placed, options) {
  const questions = (action.questions ?? [])
    .map((question) => {
      const type = question.multiple ? "checkbox" : "radio";
      const options_ = question.options
        .map(
          (option) =>
            `<label><input type="${type}" name="${escapeHtml(question.id)}" value="${escapeHtml(option.value)}"> ${escapeHtml(option.label)}</label>`,
        )
        .join("");
      return `<fieldset><legend>${escapeHtml(question.label)}</legend>${options_}</fieldset>`;
    })
    .join("");
  const reward = action.reward ? text("p", "perso-register__reward", action.reward.text) : "";
  return el(
    "div",
    "perso-register",
    text("h2", "perso-register__title", action.title) +
      text("p", "perso-register__body", action.body) +
      `<form class="perso-register__form" method="post" action="${options.actionPath}register">` +
      `<input type="hidden" name="return" value="${escapeHtml(options.returnPath)}">` +
      questions +
      reward +
      `<button type="submit">${escapeHtml(action.submit_label)}</button></form>` +
      dismissForm(placed.campaign, options),
    ` role="dialog" aria-label="${escapeHtml(action.title)}"`,
  );
}

function chat(action, placed, options) {
  const topic = action.topic ? ` data-perso-chat-topic="${escapeHtml(action.topic)}"` : "";
  return el("div", "perso-chat", text("p", "perso-chat__message", action.message) + dismissForm(placed.campaign, options), topic);
}

/**
 * Markup for one placement of the decision, or null for a kind this renderer does
 * not know (the slot then keeps the page's default content).
 * options: { nowMs, returnPath, actionPath, locale, currency, safeUrl }
 */
export function renderPlacement(placed, options) {
  const action = placed.action;
  let html;
  switch (action?.kind) {
    case "banner": html = banner(action, options); break;
    case "offer": html = offer(action, placed, options); break;
    case "recommend": html = recommend(action, options); break;
    case "welcome": html = text("p", "perso-welcome", action.text); break;
    case "register": html = register(action, placed, options); break;
    case "chat": html = chat(action, placed, options); break;
    default: return null;
  }
  return html + why(placed);
}
