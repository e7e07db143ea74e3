// Shared set-up of the Node tests: the lean package (pkg/) instantiated the way an
// edge runtime does (from a compiled WebAssembly.Module) behind the host kit, and
// the full package (pkg-node/) for what tools do (compiling the JSON bundle).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createKit } from "../../js/src/kit/index.js";

const require = createRequire(import.meta.url);
export const root = new URL("../../", import.meta.url);
export const read = (path) => readFileSync(new URL(path, root));
export const full = require(new URL("pkg-node/perso.js", root).pathname);
export const glue = await import(new URL("pkg/perso.js", root));
export const exports = glue.initSync({ module: new WebAssembly.Module(read("pkg/perso_bg.wasm")) });
export const kit = createKit(glue, exports);

/** The compiled form of a JSON bundle, by the one compiler (the full build). */
export function compile(json) {
  const bytes = full.compileBundle(typeof json === "string" ? new TextEncoder().encode(json) : json, undefined);
  if (!bytes) throw new Error(`compile failed: ${full.lastErrorMessage()}`);
  return bytes;
}

export const gizmos = () => compile(read("www/bundle.json"));
