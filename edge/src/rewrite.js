// Streaming rewrite of the origin's HTML with the runtime's HTMLRewriter (lol-html):
// chunks flow through as they arrive, the page is never buffered. Marks the root
// element and every filled slot (contract: docs/edge-deploy.md §1.1).

import { logEdge } from "./log.js";

/**
 * rendered: Map<placement, { placed, html }>. Each placement fills the first slot
 * that names it (its impression was counted once).
 */
export function rewriteHtml(response, serial, rendered) {
  const filled = new Set();
  return new HTMLRewriter()
    .on("html", {
      element(element) {
        element.setAttribute("data-perso-edge", String(serial));
      },
    })
    .on("[data-perso-slot]", {
      element(element) {
        const placement = element.getAttribute("data-perso-slot");
        const entry = rendered.get(placement);
        if (!entry || filled.has(placement)) return;
        filled.add(placement);
        element.setInnerContent(entry.html, { html: true });
        element.setAttribute("data-perso-rendered", entry.placed.campaign);
        if (entry.placed.variant) element.setAttribute("data-perso-variant", entry.placed.variant);
      },
    })
    .onDocument({
      end() {
        const missing = [...rendered.keys()].filter((placement) => !filled.has(placement));
        if (missing.length > 0) {
          logEdge("warn", "slot_missing", `decided but no data-perso-slot on the page for: ${missing.join(", ")}`);
        }
      },
    })
    .transform(response);
}
