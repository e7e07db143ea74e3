// The size each integration adds, gzip -9, as BENCHMARKS.md reports it:
//   node js/scripts/integration-sizes.mjs
// - the integration modules as shipped in js/dist (each on top of the runtime, which
//   they import as ./perso.js; React and OpenFeature's SDK are the store's own);
// - what this parts of the runtime itself weigh inside perso.js (consent
//   platforms, route changes, the slot observer), each bundled alone and minified the
//   way build.mjs bundles perso.js (so a shared helper counts in each);
// - a Vite + React app (js/test/fixtures/vite-react, if built): what it ships.
// Needs js/dist (node js/scripts/build.mjs).
import { build } from "esbuild";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const row = (what, raw, gzipped) => console.log(`| ${what} | ${raw} | ${gzipped} |`);

console.log("| what | raw (B) | gzip -9 (B) |\n|---|---|---|");
for (const [name, what] of [
  ["perso.js", "runtime (script tag / `import \"perso\"`), for reference"],
  ["perso_bg.wasm", "engine wasm, for reference"],
  ["react.js", "`perso/react` (provider, hooks, slot)"],
  ["openfeature.js", "`perso/openfeature` (provider)"],
  ["shopify.js", "`perso/shopify` = the app embed's perso-shopify.js (cart adapter, start from the tag)"],
  ["consent.js", "`perso/consent` (TC string decoder and rule, host-neutral)"],
]) {
  const bytes = readFileSync(here(`../dist/${name}`));
  row(what, bytes.length, gz(bytes));
}

// Inside perso.js: each new part on its own, minified like the runtime.
for (const [entry, what] of [
  ["../src/consent.js", "in perso.js: consent platforms (TCF, Shopify Customer Privacy, adapters) with the shared rule"],
  ["../src/navigation.js", "in perso.js: route changes (pushState, replaceState, popstate, Navigation API)"],
  ["../src/slot-observer.js", "in perso.js: slot observer (MutationObserver)"],
]) {
  const result = await build({ entryPoints: [here(entry)], bundle: true, format: "esm", minify: true, target: "es2022", write: false, legalComments: "none" });
  const bytes = result.outputFiles[0].contents;
  row(what, bytes.length, gz(bytes));
}

const app = here("../test/fixtures/vite-react/dist/assets/");
if (existsSync(app)) {
  let js = 0;
  let jsGz = 0;
  for (const name of readdirSync(app)) {
    const bytes = readFileSync(`${app}${name}`);
    if (name.endsWith(".js")) {
      js += bytes.length;
      jsGz += gz(bytes);
    }
  }
  row("Vite + React fixture app: all JS it emits (React, react-dom, the app, perso, its lazy chunks)", js, jsGz);
}
