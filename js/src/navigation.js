// Client-side route changes, for single-page storefronts: `history.pushState` and
// `history.replaceState` (wrapped, the way routers call them), the Back and Forward
// buttons (`popstate`), and the Navigation API's same-document navigations
// (`navigation.navigate()` intercepted by a router, `currententrychange`) where the
// browser has it. Every signal calls `onChange`; the runtime compares the path itself,
// so a replaceState that only updates `history.state`, or one route change reported
// by two signals, counts once.

/** Calls `onChange()` (in a microtask, after the URL changed) on every same-document navigation. */
export function watchNavigation(win, onChange) {
  const notify = () => queueMicrotask(onChange);
  const history = win.history;
  for (const method of ["pushState", "replaceState"]) {
    const original = history[method];
    if (typeof original !== "function") continue;
    history[method] = function historyObservedByPerso(...args) {
      const result = original.apply(this, args);
      notify();
      return result;
    };
  }
  win.addEventListener("popstate", notify);
  // Chromium and recent Safari/Firefox: also catches navigations a router intercepts
  // with the Navigation API, which never call pushState.
  win.navigation?.addEventListener?.("currententrychange", notify);
}
