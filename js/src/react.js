// perso for React (`perso/react`): a provider that starts the runtime once, a hook
// that reads a placement's decision (`usePlacement`), one for the API (`usePerso`),
// and a slot component (`PersoSlot`).
//
//   <PersoProvider options={{ bundle: "/perso/bundle.bin", key: "BASE64" }}>
//     <PersoSlot placement="hero" wait render={(placed) => <Hero {...placed.action} />}>
//       <DefaultHero />
//     </PersoSlot>
//     <PersoSlot placement="cross_sell" />
//   </PersoProvider>
//
// How it stays out of React's way:
// - perso decides in the browser only. On the server, and in the render that hydrates
//   server HTML, every hook answers "not decided yet", so the markup React hydrates is
//   the markup the server sent: no mismatch, no second render of the page.
// - `<PersoSlot placement>` renders the store's element (`data-perso-slot`) with its
//   default children. Without `render`, the runtime draws the decision into the slot's
//   shadow root, which React never sees (the same rendering as the script tag). With
//   `render`, React draws `render(placed)` and the runtime only counts the impression
//   and clicks (`data-perso-app`).
// - A slot the edge worker already filled (`data-perso-rendered` in the HTML) is
//   hydrated as it is: React takes the element and leaves its children alone
//   (`dangerouslySetInnerHTML` with nothing to set, which hydration never applies),
//   and the runtime adopts the edge's rendering when it decides the same campaign. No
//   re-render, no layout shift. Should perso decide another campaign there, React
//   replaces the edge's children in the same element (one impression, for it).
// - Slots mounted after the decision (a lazy component, a route) are filled at once by
//   the runtime's slot observer (slot-observer.js) or by the hook's current value.
import { createContext, createElement, useContext, useEffect, useState, useSyncExternalStore } from "react";
import { start } from "./perso.js";

const SLOT_KINDS = new Set(["banner", "welcome", "recommend"]);
const KEEP_SERVER_CHILDREN = Object.freeze({ __html: "" });
const PersoContext = createContext(null);

// True until the first provider has committed: the renders that hydrate server HTML.
let hydrating = true;

/** One decision store per provider: what hooks subscribe to. */
function createStore() {
  let decision = null;
  const listeners = new Set();
  return {
    api: null,
    decision: () => decision,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next === decision) return;
      decision = next;
      for (const listener of [...listeners]) listener();
    },
    setApi(api) {
      this.api = api;
      for (const listener of [...listeners]) listener();
    },
  };
}

const noDecision = () => null;

/** The API of a perso already started on the page (the script tag), if any. */
function pageApi() {
  const api = globalThis.perso;
  return api && !Array.isArray(api) && typeof api.decision === "function" ? api : null;
}

/**
 * Starts perso (once per page) and makes its decisions available to `usePlacement` and
 * `PersoSlot`. `options`: start()'s options; omit them when the script tag already
 * started perso. `onReady(perso)` is called with the API once started.
 */
export function PersoProvider({ options, onReady, children }) {
  const [store] = useState(createStore);
  useEffect(() => {
    hydrating = false;
    let live = true;
    const refresh = () => store.set(store.api?.decision() ?? pageApi()?.decision() ?? null);
    document.addEventListener("perso:decision", refresh);
    const api = pageApi();
    Promise.resolve(api ?? start(options ?? {})).then((started) => {
      if (!live) return;
      store.setApi(started);
      refresh();
      onReady?.(started);
    }, (error) => console.warn("perso: start failed", error));
    return () => {
      live = false;
      document.removeEventListener("perso:decision", refresh);
    };
    // perso starts once per page: later changes of `options` are ignored, as start() does.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return createElement(PersoContext.Provider, { value: store }, children);
}

/**
 * What perso decided for `placement`: `{ ready, placed, campaign, variant, action, why }`.
 * `ready` is false until the first decision (always on the server and while
 * hydrating); `placed` is null when nothing is shown there.
 */
export function usePlacement(placement) {
  const store = useContext(PersoContext);
  if (!store) throw new Error("perso: usePlacement and PersoSlot need a <PersoProvider> above them.");
  const decision = useSyncExternalStore(store.subscribe, store.decision, noDecision);
  const placed = decision?.placements.find((p) => p.placement === placement) ?? null;
  return {
    ready: decision !== null,
    placed,
    campaign: placed?.campaign ?? null,
    variant: placed?.variant ?? null,
    action: placed?.action ?? null,
    why: placed?.why ?? null,
  };
}

/** perso's API (setCart, setCustomer, consent, ...) once started; null before (and on the server). */
export function usePerso() {
  const store = useContext(PersoContext);
  if (!store) throw new Error("perso: usePerso needs a <PersoProvider> above it.");
  return useSyncExternalStore(store.subscribe, () => store.api, noDecision);
}

/** The campaign the edge rendered into this placement's slot in the server HTML, while hydrating. */
function edgeRendered(placement) {
  if (!hydrating || typeof document === "undefined" || !document.documentElement.hasAttribute("data-perso-edge")) return null;
  const slot = document.querySelector(`[data-perso-slot="${CSS.escape(placement)}"][data-perso-rendered]`);
  return slot?.getAttribute("data-perso-rendered") ?? null;
}

/**
 * The element for a placement. `children`: the default content. `render(placed)`:
 * draw the decision with React (else the runtime draws it in a shadow root). `wait`:
 * hidden until decided (with perso's slots.css, at most 1 s). `as`: the element
 * (default "div"); other props go to it.
 */
export function PersoSlot({ placement, render, wait = false, as = "div", children, ...props }) {
  const { ready, placed } = usePlacement(placement);
  const [fromEdge] = useState(() => edgeRendered(placement));
  const attributes = { ...props, "data-perso-slot": placement };
  if (wait) attributes["data-perso-wait"] = "";
  // As the runtime does: the edge's rendering stays unless perso decides another campaign there.
  if (fromEdge && (!ready || !placed || placed.campaign === fromEdge)) {
    return createElement(as, {
      ...attributes,
      "data-perso-rendered": fromEdge,
      dangerouslySetInnerHTML: KEEP_SERVER_CHILDREN,
      suppressHydrationWarning: true,
    });
  }
  if (typeof render !== "function") return createElement(as, attributes, children);
  attributes["data-perso-app"] = "";
  const drawn = placed && SLOT_KINDS.has(placed.action?.kind) ? render(placed) : null;
  return createElement(as, attributes, drawn ?? children);
}
