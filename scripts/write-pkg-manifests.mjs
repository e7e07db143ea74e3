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

// The tools' Node build speaks JSON text at the boundary; plain-object conveniences
// for Node programs (servers, checkouts, tests) are added here, in one place.
appendFileSync(new URL("../pkg-node/perso.js", import.meta.url), `
/** A JS Error from the tools build's last failure (\`{code, message, path, errors?}\`). */
function toolError() {
    const detail = JSON.parse(module.exports.lastErrorMessage() || "{}");
    return Object.assign(new Error(detail.message ?? "perso failed"), detail);
}
/** Plain JsonLogic with json-logic-js semantics: any JSON value in, any JSON value out. */
module.exports.applyRule = function applyRule(rule, data) {
    const out = module.exports.applyRuleJson(JSON.stringify(rule ?? null), JSON.stringify(data ?? null));
    if (out === undefined) throw toolError();
    return JSON.parse(out);
};
/** Compiles a JSON bundle (text or bytes) into its binary form; throws naming every problem. */
module.exports.compile = function compile(json, { maxBytes } = {}) {
    const bytes = module.exports.compileBundle(typeof json === "string" ? new TextEncoder().encode(json) : json, maxBytes);
    if (bytes === undefined) throw toolError();
    return bytes;
};
`);
appendFileSync(new URL("../pkg-node/perso.d.ts", import.meta.url), `
/** Plain JsonLogic with json-logic-js semantics. */
export function applyRule(rule: unknown, data: unknown): unknown;
/** Compiles a JSON bundle into its binary form (bundle.bin); throws an Error with code, path and errors. */
export function compile(json: string | Uint8Array, options?: { maxBytes?: number }): Uint8Array;
`);
