// Slots that appear after perso decided: a lazily loaded component, a client-side
// route, a section the store's script inserts. One MutationObserver on the document
// reports each new `data-perso-slot` element (added, or an existing element given the
// attribute) so the runtime fills it from the decision it already has, at once,
// without deciding again. Mutation records arrive in a microtask after the insertion,
// before the browser paints: a new slot is filled before its default is ever seen.
// perso's own renderings live in shadow roots and pop-up hosts without slots, so they
// do not wake the observer up.

const SLOT = "[data-perso-slot]";

/** Calls `onSlots(elements)` with the slot elements each batch of DOM changes brought; returns a disconnect function. */
export function observeSlots(doc, onSlots) {
  const Observer = doc.defaultView?.MutationObserver;
  if (typeof Observer !== "function") return () => {};
  const observer = new Observer((records) => {
    const found = new Set();
    for (const record of records) {
      if (record.type === "attributes") {
        if (record.target.hasAttribute?.("data-perso-slot")) found.add(record.target);
        continue;
      }
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches(SLOT)) found.add(node);
        for (const inner of node.querySelectorAll(SLOT)) found.add(inner);
      }
    }
    for (const slot of found) if (!slot.isConnected) found.delete(slot);
    if (found.size > 0) onSlots([...found]);
  });
  observer.observe(doc.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-perso-slot"] });
  return () => observer.disconnect();
}
