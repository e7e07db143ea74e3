// `?perso_debug=1`: an overlay with the context perso decided from and the engine's
// explanation (which campaign won, lost, or was excluded and why). Text only.
import { adoptStyles } from "./styles.js";
import { el } from "./render.js";

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
