// `?perso_debug=1`: an overlay with the context perso decided from and the engine's
// explanation (which campaign won, lost, or was excluded and why). Text only. Loaded
// on demand, with the engine's full build (explain, the state as JSON): shoppers
// never download either.
import { adoptStyles } from "./styles.js";
import { el } from "./render.js";

let full = null;

async function fullEngine(config) {
  if (!full) {
    full = (async () => {
      const glue = await import("../../pkg-full/perso.js");
      await glue.default({ module_or_path: config.fullWasmUrl });
      return glue;
    })();
  }
  return full;
}

/** The explanation for a decision, by the full engine on the same compiled bundle. */
export async function explain(config, bundleBytes, stateBytes, context, nowMs) {
  const glue = await fullEngine(config);
  const engine = glue.Engine.load(bundleBytes);
  const visitor = stateBytes ? glue.Visitor.fromBytes(stateBytes) : glue.Visitor.fresh("debug", nowMs);
  try {
    const text = engine?.explainJson(visitor, JSON.stringify(context), nowMs);
    return text ? JSON.parse(text) : null;
  } finally {
    visitor?.free();
    engine?.free();
  }
}

/** The visitor state in its JSON form. */
export async function stateJson(config, stateBytes) {
  if (!stateBytes) return null;
  const glue = await fullEngine(config);
  const visitor = glue.Visitor.fromBytes(stateBytes);
  try {
    return visitor ? JSON.parse(visitor.toJson()) : null;
  } finally {
    visitor?.free();
  }
}

export function showDebugOverlay(doc, { context, explanation, decision, state, consent }) {
  let host = doc.querySelector("perso-debug");
  if (!host) {
    host = doc.createElement("perso-debug");
    host.attachShadow({ mode: "open" });
    adoptStyles(host.shadowRoot);
    doc.body.append(host);
  }
  const section = (title, value) => [el(doc, "h2", {}, title), el(doc, "pre", {}, JSON.stringify(value, null, 2))];
  const outcomes = (explanation?.campaigns ?? []).map((c) => {
    const reason = c.outcome === "excluded" ? ` (${c.reason.kind}${c.reason.segment ? ` ${c.reason.segment}` : ""}${c.reason.detail ? `: ${c.reason.detail}` : ""}${c.reason.failed ? ` at ${c.reason.failed.path}` : ""})` : c.outcome === "lost" ? ` to ${c.to}` : "";
    return `${c.placement.padEnd(11)} ${c.campaign}: ${c.outcome}${reason}`;
  }).join("\n");
  host.shadowRoot.replaceChildren(el(doc, "aside", { class: "debug", "aria-label": "perso debug" },
    el(doc, "strong", {}, `perso debug, bundle serial ${decision?.serial ?? "?"}`),
    el(doc, "h2", {}, "Explain"), el(doc, "pre", {}, outcomes),
    ...section("Decision", decision?.placements?.map((p) => ({ placement: p.placement, campaign: p.campaign, trigger: p.trigger, why: p.why }))),
    ...section("Context", context),
    ...section("Visitor state (this device)", state),
    ...section("Consent", consent)));
}
