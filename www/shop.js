// The Gizmos demo shop's own script (not perso): renders the catalog pages, keeps the
// shop's cart, pushes GA4 ecommerce events like a real store, signs a demo customer
// in, and shows a stand-in chat widget when perso raises `perso:chat`.
// perso is fed through its queue (`window.perso.push([...])`) before it has loaded.
import { CATEGORIES, PRODUCTS, productBySku, imageFor } from "./catalog.js";

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
          h("button", { type: "button", class: "primary", "data-checkout": "", onclick: () => {
            window.dataLayer.push({ event: "purchase", ecommerce: { transaction_id: `T${lines.length}${Math.round(total)}`, value: total, currency: "USD", items: lines.map((l) => ga4Item(productBySku(l.sku), l.qty)) } });
            saveCart([]);
            render();
            list.prepend(h("p", { class: "notice", role: "status" }, "Thank you for your order!"));
          } }, "Place order"));
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
