// Fills assets/ with the runtime as it ships (js/dist: scripts/build-wasm.sh builds it),
// before `shopify app deploy`: perso.js and its chunks, the engine's wasm beside them
// (perso.js finds it with new URL("./perso_bg.wasm", import.meta.url)), the Shopify
// entry as perso-shopify.js, the anti-flicker CSS. The full engine for ?perso_debug=1
// (perso-full.wasm) is included: it is only downloaded in debug mode.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = fileURLToPath(new URL("../../js/dist/", import.meta.url));
const assets = fileURLToPath(new URL("./assets/", import.meta.url));
rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
const renamed = { "shopify.js": "perso-shopify.js" };
const skip = new Set(["react.js", "openfeature.js", "consent.js"]); // npm-only entries
for (const name of readdirSync(dist)) {
  if (skip.has(name)) continue;
  copyFileSync(`${dist}${name}`, `${assets}${renamed[name] ?? name}`);
}
console.log(`build-assets: ${readdirSync(assets).sort().join(", ")}`);
