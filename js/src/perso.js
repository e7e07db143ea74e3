// perso browser runtime: on-device personalization for online stores.
//
//   <script type="module" src="/perso/perso.js" data-bundle="/perso/bundle.json" data-key="BASE64"></script>
//   import { start } from "perso"; const perso = await start({ bundle: "/perso/bundle.json", key: "BASE64" });
//
// Calls made before this module loaded (`window.perso = window.perso || []; perso.push(["setCart", items])`)
// are replayed in order. See docs/browser-runtime.md.
import { Runtime } from "./runtime.js";
import { parseKeys } from "./signature.js";
import { PersoError } from "./errors.js";

const moduleStart = performance.now();
performance.mark("perso:start");

export const VERSION = "0.1.0";
const DEFAULT_MAX_BUNDLE_BYTES = 512 * 1024;
const QUEUEABLE = new Set(["setCart", "setCustomer", "consent", "setCustom"]);

/** Resolves options (start() or the script tag's data attributes) to a runtime config. */
export function resolveConfig(options, base) {
  const bundleUrl = new URL(options.bundle ?? "/perso/bundle.json", base).href;
  const maxBundleBytes = Number(options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES);
  return {
    bundleUrl,
    signatureUrl: new URL(options.signature ?? `${bundleUrl}.sig`, base).href,
    keysText: options.key,
    consent: options.consent === "required" ? "required" : "implied",
    currency: options.currency ?? "USD",
    maxBundleBytes: Number.isFinite(maxBundleBytes) && maxBundleBytes > 0 ? maxBundleBytes : DEFAULT_MAX_BUNDLE_BYTES,
    debug: Boolean(options.debug) || new URL(globalThis.location.href).searchParams.get("perso_debug") === "1",
    onChat: typeof options.onChat === "function" ? options.onChat : null,
    glueUrl: new URL(options.glue ?? "./pkg/perso.js", import.meta.url).href,
    wasmUrl: new URL(options.wasm ?? "./pkg/perso_bg.wasm", import.meta.url).href,
  };
}

/** The public API object (also `window.perso`). */
function apiFor(runtime) {
  const api = {
    version: VERSION,
    setCart: (items) => runtime.setCart(items),
    setCustomer: (profile) => runtime.setCustomer(profile),
    consent: (granted) => runtime.consent(granted),
    setCustom: (values) => runtime.setCustom(values),
    decision: () => runtime.decision(),
    explain: () => runtime.explain(),
    redecide: () => runtime.redecide(),
    /** Queue-compatible: `perso.push(["setCart", items])` keeps working after load. */
    push: (...commands) => {
      for (const command of commands) runCommand(api, command);
      return 0;
    },
  };
  return api;
}

function runCommand(api, command) {
  if (!Array.isArray(command) || !QUEUEABLE.has(command[0])) {
    console.warn(`perso: ignored queued call ${JSON.stringify(command?.[0] ?? command)}; expected one of ${[...QUEUEABLE].join(", ")}.`);
    return;
  }
  api[command[0]](...command.slice(1));
}

let current = null;

/**
 * Starts perso on this page (once; later calls return the same API).
 * Options: `bundle` (URL), `key` (data-key format), `signature` (URL, default bundle + ".sig"),
 * `consent: "required"`, `currency`, `maxBundleBytes`, `debug`, `onChat(detail)`, `glue`/`wasm` URLs.
 * Resolves once the first decision is applied (or the page was left on defaults).
 */
export async function start(options = {}) {
  if (current) return current.api;
  const config = resolveConfig(options, globalThis.location.href);
  const runtime = new Runtime(globalThis, config);
  const api = apiFor(runtime);
  current = { runtime, api };
  // Replay calls queued before load, then take over window.perso.
  const queued = Array.isArray(globalThis.perso) ? globalThis.perso.slice() : [];
  globalThis.perso = api;
  for (const command of queued) runCommand(api, command);
  try {
    config.keys = parseKeys(config.keysText);
  } catch (error) {
    runtime.fail(error);
    return api;
  }
  await runtime.start();
  return api;
}

/** The script tag that loaded this module, if any. */
function ownScriptTag() {
  for (const script of document.querySelectorAll("script[type=module][src]")) {
    if (script.src === import.meta.url && "bundle" in script.dataset) return script;
  }
  return null;
}

const tag = typeof document !== "undefined" ? ownScriptTag() : null;
if (tag) {
  const data = tag.dataset;
  start({
    bundle: data.bundle,
    key: data.key,
    signature: data.signature,
    consent: data.consent,
    currency: data.currency,
    maxBundleBytes: data.maxBundleBytes,
    debug: data.debug === "true",
  }).catch((error) => console.warn("perso: start failed", error));
}

export { PersoError, moduleStart };
