// The Gizmos demo shop's catalog (the store's own data; the same SKUs as the bundle's
// "products" table, which marketers publish for cross-sell).
export const CATEGORIES = [
  { id: "audio", name: "Audio" },
  { id: "wearables", name: "Wearables" },
  { id: "smart-home", name: "Smart home" },
  { id: "phones", name: "Phones" },
  { id: "accessories", name: "Accessories" },
];

export const PRODUCTS = [
  { sku: "HP-100", name: "Quiet Pro headphones", category: "audio", price: 199.0, blurb: "Adaptive noise cancelling, 40-hour battery, folds flat." },
  { sku: "SP-200", name: "Pebble speaker", category: "audio", price: 79.0, blurb: "Pocket-sized, waterproof, surprisingly loud." },
  { sku: "EB-300", name: "Airy earbuds", category: "audio", price: 129.0, blurb: "Feather-light earbuds with a wireless charging case." },
  { sku: "CB-010", name: "Braided USB-C cable", category: "accessories", price: 15.0, blurb: "Two metres, 100 W, survives the bottom of any bag." },
  { sku: "CS-020", name: "Hard travel case", category: "accessories", price: 25.0, blurb: "Crush-proof shell for headphones and cables." },
  { sku: "CH-030", name: "65 W charger", category: "accessories", price: 39.0, blurb: "One brick for laptop, phone and earbuds." },
  { sku: "WT-400", name: "Pulse fitness tracker", category: "wearables", price: 99.0, blurb: "Heart rate, sleep and steps for a week on a charge." },
  { sku: "WW-500", name: "Orbit smartwatch", category: "wearables", price: 249.0, blurb: "Always-on display, GPS and contactless payments." },
  { sku: "ST-050", name: "Sport strap", category: "accessories", price: 19.0, blurb: "Breathable strap for Pulse and Orbit." },
  { sku: "PH-600", name: "Nova phone", category: "phones", price: 599.0, blurb: "A 6.1-inch OLED screen and a camera that sees in the dark." },
  { sku: "PC-610", name: "Slim phone case", category: "phones", price: 29.0, blurb: "Grippy, thin, and drop-tested from two metres." },
  { sku: "SH-700", name: "Hub smart plug", category: "smart-home", price: 35.0, blurb: "Schedules and energy readings, no cloud account needed." },
  { sku: "SH-710", name: "Glow smart bulb", category: "smart-home", price: 22.0, blurb: "16 million colours and a warm white that is actually warm." },
];

export const productBySku = (sku) => PRODUCTS.find((p) => p.sku === sku);
export const imageFor = (sku) => `/img/${sku.toLowerCase()}.svg`;
