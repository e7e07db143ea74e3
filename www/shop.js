// The Gizmos demo shop's own script (not perso): renders the catalog pages, keeps the
// shop's cart, pushes GA4 ecommerce events like a real store (sign-in is the server's:
// js/demo/accounts.mjs renders the signed-in customer into the page), runs the
// checkout against the store's server (which prices the order and checks every claim
// itself: js/demo/checkout.mjs), and shows a stand-in chat widget on `perso:chat`.
// perso is fed through its queue (`window.perso.push([...])`) before it has loaded.
import { CATEGORIES, PRODUCTS, productBySku, imageFor } from "./catalog.mjs";

const CART_KEY = "gizmos:cart";
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

window.dataLayer = window.dataLayer || [];
window.perso = window.perso || [];
function gtag() {
  window.dataLayer.push(arguments); // gtag.js pushes its arguments object
}

const readJSON = (key, fallback) => {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
};
const cart = () => readJSON(CART_KEY, []);
const saveCart = (lines) => localStorage.setItem(CART_KEY, JSON.stringify(lines));
const ga4Item = (product, quantity = 1) => ({
  item_id: product.sku, item_name: product.name, item_category: product.category, price: product.price, quantity,
});

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value);
  }
  element.append(...children.filter((c) => c !== null && c !== undefined));
  return element;
}

function addToCart(product, form) {
  const lines = cart();
  const line = lines.find((l) => l.sku === product.sku);
  if (line) line.qty += 1;
  else lines.push({ sku: product.sku, qty: 1 });
  saveCart(lines);
  const ecommerce = { currency: "USD", value: product.price, items: [ga4Item(product)] };
  // Both GA4 forms, as stores use them: gtag on product pages, dataLayer elsewhere.
  if (form === "gtag") gtag("event", "add_to_cart", ecommerce);
  else window.dataLayer.push({ event: "add_to_cart", ecommerce });
  updateCartCount();
}

function updateCartCount() {
  const count = cart().reduce((sum, l) => sum + l.qty, 0);
  const badge = document.querySelector("[data-cart-count]");
  if (badge) badge.textContent = String(count);
}

function productCard(product) {
  return h("li", { class: "card" },
    h("a", { href: `/product/${product.sku}`, class: "card-link" },
      h("img", { src: imageFor(product.sku), alt: "", width: "320", height: "240" }),
      h("span", { class: "card-name" }, product.name)),
    h("span", { class: "price" }, money.format(product.price)),
    h("button", { type: "button", class: "add", "data-sku": product.sku, onclick: () => addToCart(product, "dataLayer") }, "Add to cart"));
}

const pages = {
  home() {
    const grid = document.querySelector("[data-popular]");
    grid.append(...["HP-100", "WW-500", "PH-600", "SP-200", "SH-700", "EB-300"].map((sku) => productCard(productBySku(sku))));
  },
  category() {
    const id = location.pathname.split("/")[2];
    const category = CATEGORIES.find((c) => c.id === id);
    document.querySelector("[data-title]").textContent = category ? category.name : "Not found";
    document.title = `${category ? category.name : "Not found"} | Gizmos`;
    document.querySelector("[data-products]").append(...PRODUCTS.filter((p) => p.category === id).map(productCard));
  },
  product() {
    const product = productBySku(location.pathname.split("/")[2]);
    const main = document.querySelector("[data-product]");
    if (!product) {
      main.append(h("h1", {}, "Product not found"));
      return;
    }
    document.title = `${product.name} | Gizmos`;
    main.append(
      h("img", { src: imageFor(product.sku), alt: product.name, width: "480", height: "360" }),
      h("div", { class: "detail" },
        h("p", { class: "crumb" }, h("a", { href: `/category/${product.category}` }, CATEGORIES.find((c) => c.id === product.category).name)),
        h("h1", {}, product.name),
        h("p", { class: "price big" }, money.format(product.price)),
        h("p", {}, product.blurb),
        h("button", { type: "button", class: "add primary", "data-sku": product.sku, onclick: () => addToCart(product, "gtag") }, "Add to cart")));
    gtag("event", "view_item", { currency: "USD", value: product.price, items: [ga4Item(product)] });
  },
  cart() {
    const list = document.querySelector("[data-cart]");
    const render = () => {
      const lines = cart().filter((l) => productBySku(l.sku));
      list.replaceChildren();
      if (lines.length === 0) list.append(h("p", {}, "Your cart is empty. ", h("a", { href: "/" }, "Keep shopping")));
      let total = 0;
      for (const line of lines) {
        const product = productBySku(line.sku);
        total += product.price * line.qty;
        list.append(h("div", { class: "line" },
          h("img", { src: imageFor(product.sku), alt: "", width: "96", height: "72" }),
          h("a", { href: `/product/${product.sku}` }, product.name),
          h("span", {}, `× ${line.qty}`),
          h("span", { class: "price" }, money.format(product.price * line.qty)),
          h("button", { type: "button", class: "remove", onclick: () => {
            saveCart(cart().filter((l) => l.sku !== line.sku));
            window.dataLayer.push({ event: "remove_from_cart", ecommerce: { items: [ga4Item(product, line.qty)] } });
            render();
          } }, "Remove")));
      }
      if (lines.length > 0) {
        list.append(h("p", { class: "total" }, `Total ${money.format(total)}`),
          h("p", {}, h("a", { class: "primary", href: "/checkout", "data-checkout": "" }, "Checkout")));
      }
      updateCartCount();
      return lines;
    };
    const lines = render();
    window.dataLayer.push({ event: "view_cart", ecommerce: { items: lines.map((l) => ga4Item(productBySku(l.sku), l.qty)) } });
  },
  login() {
    // The server checks the password and renders the signed-in customer's profile into
    // every page (js/demo/accounts.mjs); this page only shows a failed attempt.
    if (new URLSearchParams(location.search).has("error")) document.querySelector("[data-login-error]").hidden = false;
  },
  checkout() {
    const claims = [];
    const view = {
      lines: document.querySelector("[data-quote-lines]"),
      summary: document.querySelector("[data-summary]"),
      applied: document.querySelector("[data-applied]"),
      refused: document.querySelector("[data-refused]"),
      claimForm: document.querySelector("[data-claim-form]"),
      orderForm: document.querySelector("[data-order-form]"),
      status: document.querySelector("[data-status]"),
    };
    const body = () => ({
      lines: cart().map((l) => ({ sku: l.sku, qty: l.qty })),
      claims,
      email: view.orderForm.querySelector("input[name=email]").value,
    });
    const post = (path) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body()) });
    const row = (label, value, attrs = {}) => h("p", { class: "row", ...attrs }, h("span", {}, label), h("span", {}, value));
    const show = (quote) => {
      view.lines.replaceChildren(...quote.lines.map((l) => h("div", { class: "line short", "data-sku": l.sku },
        h("span", {}, l.name), h("span", {}, `× ${l.qty}`), h("span", { class: "price" }, money.format(l.line_total)))));
      view.applied.replaceChildren(...quote.applied.map((a) => h("li", { "data-campaign": a.campaign },
        h("strong", {}, a.title), ` (claim ${a.code}): −${money.format(a.amount)}`)));
      view.refused.replaceChildren(...quote.refused.map((r) => h("li", { "data-error": r.error },
        h("code", {}, r.input), ` refused: ${r.reason}`)));
      view.summary.replaceChildren(
        row("Subtotal", money.format(quote.subtotal)),
        row("Discount", `−${money.format(quote.discount)}`, { "data-discount": String(quote.discount) }),
        row("Shipping", quote.shipping === 0 ? "Free" : money.format(quote.shipping), { "data-shipping": String(quote.shipping) }),
        row("Total", money.format(quote.total), { class: "row total", "data-total": String(quote.total) }));
      document.body.dataset.quoted = String(Number(document.body.dataset.quoted ?? 0) + 1);
    };
    const refresh = async () => {
      if (cart().length === 0) {
        view.lines.replaceChildren(h("p", {}, "Your cart is empty. ", h("a", { href: "/" }, "Keep shopping")));
        return;
      }
      const response = await post("/api/checkout/quote");
      const quote = await response.json();
      if (!response.ok) {
        view.status.textContent = quote.error;
        return;
      }
      show(quote);
    };
    view.claimForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = view.claimForm.querySelector("input[name=claim]");
      const code = input.value.trim();
      if (code && !claims.includes(code)) claims.push(code);
      input.value = "";
      refresh();
    });
    view.refused.addEventListener("click", (event) => {
      const item = event.target.closest("li");
      if (!item) return;
      const code = item.querySelector("code")?.textContent;
      const at = claims.indexOf(code);
      if (at >= 0) claims.splice(at, 1);
      refresh();
    });
    view.orderForm.querySelector("input[name=email]").addEventListener("change", refresh);
    view.orderForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await post("/api/orders");
      const result = await response.json();
      if (response.status === 201) {
        saveCart([]);
        location.href = `/order/${result.order}`;
        return;
      }
      if (result.lines) show(result);
      view.status.textContent = result.error ?? "Your order was not placed: remove the refused claims, or place it without them.";
    });
    refresh();
  },
  async order() {
    const id = location.pathname.split("/")[2];
    const main = document.querySelector("[data-order]");
    const response = await fetch(`/api/orders/${encodeURIComponent(id)}`);
    if (!response.ok) {
      main.append(h("p", {}, "No such order in this browser session."));
      return;
    }
    const order = await response.json();
    main.append(
      h("p", { class: "notice", role: "status" }, `Thank you for your order ${order.id}!`),
      ...order.lines.map((l) => h("div", { class: "line short" }, h("span", {}, l.name), h("span", {}, `× ${l.qty}`), h("span", { class: "price" }, money.format(l.line_total)))),
      h("ul", { "data-applied": "" }, ...order.applied.map((a) => h("li", { "data-campaign": a.campaign }, `${a.title}: −${money.format(a.amount)}`))),
      h("p", { class: "row" }, h("span", {}, "Subtotal"), h("span", {}, money.format(order.subtotal))),
      h("p", { class: "row", "data-discount": String(order.discount) }, h("span", {}, "Discount"), h("span", {}, `−${money.format(order.discount)}`)),
      h("p", { class: "row", "data-shipping": String(order.shipping) }, h("span", {}, "Shipping"), h("span", {}, order.shipping === 0 ? "Free" : money.format(order.shipping))),
      h("p", { class: "row total", "data-total": String(order.total) }, h("span", {}, "Total"), h("span", {}, money.format(order.total))));
    window.dataLayer.push({ event: "purchase", ecommerce: { transaction_id: order.id, value: order.total, currency: "USD",
      items: order.lines.map((l) => ga4Item(productBySku(l.sku), l.qty)) } });
  },
};

function header() {
  updateCartCount();
}

// A stand-in for the store's live-chat widget: perso only raises the event.
document.addEventListener("perso:chat", (event) => {
  const bubble = h("aside", { class: "chat", role: "complementary", "aria-label": "Live chat" },
    h("strong", {}, "Gizmos support"),
    h("p", {}, event.detail.message ?? "Can we help?"),
    h("button", { type: "button", onclick: () => bubble.remove() }, "Close chat"));
  document.body.append(bubble);
});

header();
pages[document.body.dataset.page]?.();
