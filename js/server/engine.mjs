// The engine a Node checkout re-checks offers with: the lean wasm package (pkg/, the
// very build browsers and edge workers run) behind the host kit, instantiated from a
// compiled WebAssembly.Module as an edge runtime does; and, for the shopper-facing
// reason of a refusal, the tools build (pkg-node/) that can name the failing rule.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createKit } from "../src/kit/index.js";

const root = new URL("../../", import.meta.url);
let shared = null;

/** The host kit on the lean package (one instance per process). */
export async function leanKit() {
  if (!shared) {
    const glue = await import(new URL("pkg/perso.js", root));
    const exports = glue.initSync({ module: new WebAssembly.Module(readFileSync(new URL("pkg/perso_bg.wasm", root))) });
    shared = createKit(glue, exports);
  }
  return shared;
}

/** The tools build (compile, explain): pkg-node/. */
export function toolsBuild() {
  return createRequire(import.meta.url)(new URL("pkg-node/perso.js", root).pathname);
}

/**
 * `{ kit, engine, explain, free() }` for a compiled bundle (bundle.bin bytes): what
 * js/server/claims.mjs calls `runtime`. `sourceJson` (optional, the bundle's JSON)
 * lets a refusal quote the failing rule as the marketer wrote it.
 */
export async function checkoutRuntime(bundleBin, { sourceJson } = {}) {
  const kit = await leanKit();
  const engine = kit.loadBundle(bundleBin);
  const tools = toolsBuild();
  const explainer = sourceJson ? tools.Engine.fromJson(sourceJson) : tools.Engine.load(bundleBin);
  const explain = (campaign, context, visitorBytes, nowMs) => {
    const visitor = tools.Visitor.fromBytes(visitorBytes);
    try {
      const text = explainer?.explainOfferJson(campaign, visitor, JSON.stringify(context), nowMs);
      const refusal = text ? JSON.parse(text) : null;
      return refusal?.failed ?? null;
    } finally {
      visitor?.free();
    }
  };
  return {
    kit,
    engine,
    explain,
    free() {
      engine.free();
      explainer?.free();
    },
  };
}
