// perso browser runtime: on-device personalization for online stores.
//
//   <script type="module" src="/perso/perso.js" data-bundle="/perso/bundle.bin" data-key="BASE64"></script>
//   import { start } from "perso"; const perso = await start({ bundle: "/perso/bundle.bin", key: "BASE64" });
//
// Shipped as one minified module (js/scripts/build.mjs): as soon as it runs, it
// starts compiling the engine's wasm as it downloads and the bundle's GET, in
// parallel, before anything else. Calls made before this module loaded
// (`window.perso = window.perso || []; perso.push(["setCart", items])`) are replayed
// in order. See docs/browser-runtime.md.
import { Runtime } from "./runtime.js";
import { parseKeys, parseSignatureFile, verifyBundle, PersoError, LIMITS } from "./kit/index.js";
import { compileEngine } from "./engine-host.js";
import { fetchBundle } from "./bundle-loader.js";
import { findConsentAdapters, attachConsent } from "./consent.js";

const moduleStart = performance.now();
performance.mark("perso:start");

export const VERSION = "0.2.0";
const QUEUEABLE = new Set(["setCart", "setCustomer", "consent", "setCustom", "consentAdapter"]);
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

/** Resolves options (start() or the script tag's data attributes) to a runtime config. */
export function resolveConfig(options, base) {
  const bundleUrl = new URL(options.bundle ?? "/perso/bundle.bin", base).href;
  const maxBundleBytes = Number(options.maxBundleBytes ?? LIMITS.MAX_BUNDLE_BYTES);
  const timeout = Number(options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
  return {
    bundleUrl,
    signatureUrl: new URL(options.signature ?? `${bundleUrl}.sig`, base).href,
    keysText: options.key,
    previewKeysText: options.previewKeys,
    // Read by exposure.js, loaded only when asked for (`data-exposure` present, even empty, or a callback).
    exposure: (options.exposure !== undefined && options.exposure !== null && options.exposure !== false) || typeof options.onExposure === "function"
      ? { value: options.exposure, onExposure: options.onExposure }
      : null,
    consent: options.consent === "required" ? "required" : "implied",
    currency: options.currency ?? "USD",
    maxBundleBytes: Number.isFinite(maxBundleBytes) && maxBundleBytes > 0 ? Math.min(maxBundleBytes, LIMITS.MAX_BUNDLE_BYTES) : LIMITS.MAX_BUNDLE_BYTES,
    fetchTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_FETCH_TIMEOUT_MS,
    debug: Boolean(options.debug) || new URL(globalThis.location.href).searchParams.get("perso_debug") === "1",
    claimUrl: options.claimUrl ? new URL(options.claimUrl, base).href : null,
    onChat: typeof options.onChat === "function" ? options.onChat : null,
    wasmUrl: options.wasm ? new URL(options.wasm, base).href : new URL("./perso_bg.wasm", import.meta.url).href,
    fullWasmUrl: options.fullWasm ? new URL(options.fullWasm, base).href : new URL("./perso-full.wasm", import.meta.url).href,
  };
}

/** The public API object (also `window.perso`). */
function apiFor(runtime, config) {
  const api = {
    version: VERSION,
    setCart: (items) => runtime.setCart(items),
    setCustomer: (profile) => runtime.setCustomer(profile),
    consent: (granted) => runtime.consent(granted),
    /** Another consent platform's answers (consent.js): `fn(report)`, report(true | false | null). */
    consentAdapter: (fn) => attachConsent([fn]).connect((granted) => runtime.consent(granted)),
    setCustom: (values) => runtime.setCustom(values),
    decision: () => runtime.decision(),
    redecide: () => runtime.redecide(),
    /** Queue-compatible: `perso.push(["setCart", items])` keeps working after load. */
    push: (...commands) => {
      for (const command of commands) runCommand(api, command);
      return 0;
    },
  };
  // Segment names and rules are for the store's engineers, not every script on the page.
  if (config.debug) {
    api.explain = () => runtime.explain();
    api.context = () => runtime.context();
  }
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
 * Options: `bundle` (URL of the compiled bundle), `key` (data-key format), `signature`
 * (URL, default bundle + ".sig"), `consent: "required"`, `consentAdapter(report)`,
 * `consentPlatforms: false` (do not look for TCF / Shopify), `currency`,
 * `maxBundleBytes`, `fetchTimeoutMs`, `debug`, `onChat(detail)`, `wasm` / `fullWasm`
 * (URLs of the engine's files), `claimUrl` (the store's claim endpoint, same origin:
 * docs/offers.md), `previewKeys` (data-preview-keys format: the keys preview links'
 * drafts may be signed with), `exposure` (true, or "ga4" / "growthbook") and
 * `onExposure(event)` (exposure events for the store's analytics: exposure.js).
 * Resolves once the first decision is applied (or the page was left on defaults).
 */
export async function start(options = {}, early = null) {
  if (current) return (await current).api;
  let started;
  current = new Promise((resolve) => (started = resolve));
  const config = resolveConfig(options, globalThis.location.href);
  config.engineModule = early?.engineModule ?? compileEngine(globalThis, config.wasmUrl);
  config.bundleRequest = early?.bundleRequest ?? fetchBundle(globalThis, config);
  config.engineModule.catch(() => {});
  config.bundleRequest.catch(() => {});
  // A preview link (preview.js, loaded only then): its draft's GET starts now, beside production's.
  const previewParam = new URL(globalThis.location.href).searchParams.get("perso_preview");
  config.previewing = previewParam !== null && previewParam !== "off";
  if (config.previewing) {
    const tools = { PersoError, parseKeys, parseSignatureFile, verifyBundle, fetchBundle };
    config.preview = import("./preview.js").then((module) => module.previewFromLocation(globalThis, config, tools));
    config.preview.catch(() => {});
  }
  // A consent platform on the page answers first (while the engine compiles): nothing
  // on the device is read or written before its answer (consent.js).
  const adapters = findConsentAdapters(globalThis, options, Array.isArray(globalThis.perso) ? globalThis.perso : []);
  const consent = attachConsent(adapters);
  if (adapters.length > 0) config.consent = (await consent.first) ? "implied" : "required";
  const runtime = new Runtime(globalThis, config);
  const api = apiFor(runtime, config);
  started({ runtime, api });
  consent.connect((granted) => runtime.consent(granted));
  // Replay calls queued before load (consent adapters are attached already), then take over window.perso.
  const queued = Array.isArray(globalThis.perso) ? globalThis.perso.filter((command) => command?.[0] !== "consentAdapter") : [];
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

/** start()'s options from a script tag's data attributes (`data-bundle`, `data-key`, ...). */
export function optionsFromDataset(data) {
  return {
    bundle: data.bundle,
    key: data.key,
    signature: data.signature,
    consent: data.consent,
    currency: data.currency,
    maxBundleBytes: data.maxBundleBytes,
    fetchTimeoutMs: data.fetchTimeoutMs,
    debug: data.debug === "true",
    previewKeys: data.previewKeys,
    exposure: data.exposure,
    claimUrl: data.claimUrl,
  };
}

const tag = typeof document !== "undefined" ? ownScriptTag() : null;
if (tag) {
  const options = optionsFromDataset(tag.dataset);
  // The two downloads the first decision waits for start now, side by side.
  const config = resolveConfig(options, globalThis.location.href);
  const early = { engineModule: compileEngine(globalThis, config.wasmUrl), bundleRequest: fetchBundle(globalThis, config) };
  early.engineModule.catch(() => {});
  early.bundleRequest.catch(() => {});
  start(options, early).catch((error) => console.warn("perso: start failed", error));
}

export { PersoError, moduleStart };
