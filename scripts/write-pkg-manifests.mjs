// Writes package.json for pkg/ (ES module, browsers and workers) and pkg-node/
// (CommonJS, Node): wasm-pack's --no-pack leaves that to us so the two stay alike.
import { writeFileSync, readFileSync, appendFileSync } from "node:fs";

const root = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const common = {
  name: "perso-engine",
  version: root.version,
  description: "perso's decision engine (WebAssembly)",
  license: "MIT OR Apache-2.0",
  types: "perso.d.ts",
};
writeFileSync(new URL("../pkg/package.json", import.meta.url), JSON.stringify({
  ...common, type: "module", main: "perso.js", module: "perso.js",
  files: ["perso_bg.wasm", "perso.js", "perso.d.ts", "perso_bg.wasm.d.ts"], sideEffects: false,
}, null, 2) + "\n");
writeFileSync(new URL("../pkg-full/package.json", import.meta.url), JSON.stringify({
  ...common, name: "perso-engine-full", type: "module", main: "perso.js", module: "perso.js",
  files: ["perso_bg.wasm", "perso.js", "perso.d.ts", "perso_bg.wasm.d.ts"], sideEffects: false,
}, null, 2) + "\n");
writeFileSync(new URL("../pkg-node/package.json", import.meta.url), JSON.stringify({
  ...common, main: "perso.js", files: ["perso_bg.wasm", "perso.js", "perso.d.ts"],
}, null, 2) + "\n");

// wasm-bindgen's glue instantiates once (`initSync` returns early afterwards), but after
// a trap the instance's memory may be inconsistent: hosts must be able to drop it and
// start a fresh instance from the same compiled module, without reloading the page or
// recycling the worker isolate.
appendFileSync(new URL("../pkg/perso.js", import.meta.url), `
/**
 * Drops the current WebAssembly instance (after a trap its memory may be inconsistent)
 * and instantiates a fresh one from the same compiled module. Engines made before are
 * unusable afterwards: make new ones. Added by perso's build (scripts/write-pkg-manifests.mjs).
 */
export function reinstantiate() {
    if (wasmModule === undefined) throw new Error("perso: the engine was never initialised");
    const module = wasmModule;
    wasm = undefined;
    __wbg_init_promise = undefined;
    return initSync({ module });
}
`);
appendFileSync(new URL("../pkg/perso.d.ts", import.meta.url), `
/** Drops the current instance (e.g. after a trap) and instantiates a fresh one from the same module. */
export function reinstantiate(): InitOutput;
`);
