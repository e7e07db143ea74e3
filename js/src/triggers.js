// Behavioural triggers: when a decided placement is shown. All listeners are passive
// and removed once fired. Exit intent never touches history (no Back-button hijack).

const FAST_UPWARD_SCROLL_PX_PER_MS = 1.5; // mobile exit intent: a flick back to the top
const MOBILE_EXIT_MIN_SCROLL_Y = 200;

/**
 * Arms `trigger` (engine Decision trigger) and calls `fire()` once when it happens.
 * `pageStart` is the page's start in performance.now() time (dwell counts from there);
 * `onAddToCart(fn)` subscribes to the runtime's add-to-cart signal. Returns a disarm function.
 */
export function armTrigger(win, trigger, fire, { pageStart, onAddToCart, deviceType }) {
  const cleanups = [];
  let fired = false;
  const once = () => {
    if (fired) return;
    fired = true;
    disarm();
    fire();
  };
  const disarm = () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  const listen = (target, type, handler) => {
    target.addEventListener(type, handler, { passive: true });
    cleanups.push(() => target.removeEventListener(type, handler, { passive: true }));
  };
  const timeout = (ms, handler) => {
    const id = win.setTimeout(handler, Math.max(0, ms));
    cleanups.push(() => win.clearTimeout(id));
  };

  switch (trigger?.on ?? "now") {
    case "now":
      queueMicrotask(once);
      break;
    case "dwell":
      timeout(trigger.seconds * 1000 - (win.performance.now() - pageStart), once);
      break;
    case "idle": {
      let idleTimer = 0;
      const restart = () => {
        win.clearTimeout(idleTimer);
        idleTimer = win.setTimeout(once, trigger.seconds * 1000);
      };
      for (const type of ["pointermove", "pointerdown", "keydown", "scroll", "touchstart"]) listen(win, type, restart);
      cleanups.push(() => win.clearTimeout(idleTimer));
      restart();
      break;
    }
    case "scroll": {
      const check = () => {
        const doc = win.document.documentElement;
        const scrollable = doc.scrollHeight - win.innerHeight;
        const percent = scrollable <= 0 ? 100 : (win.scrollY / scrollable) * 100;
        if (percent >= trigger.percent) once();
      };
      listen(win, "scroll", check);
      // A short page is "scrolled" to its end at once, but only once it is laid out:
      // while it still loads (an async script) its height means nothing yet.
      if (win.document.readyState === "complete") check();
      else listen(win, "load", check);
      break;
    }
    case "exit_intent": {
      if (deviceType === "desktop") {
        // The pointer leaves the window through the top edge (towards the tabs or URL bar).
        listen(win.document, "mouseout", (event) => {
          if (!event.relatedTarget && event.clientY <= 0) once();
        });
      } else {
        let lastY = win.scrollY;
        let lastT = win.performance.now();
        listen(win, "scroll", () => {
          const y = win.scrollY;
          const t = win.performance.now();
          const speed = (lastY - y) / Math.max(1, t - lastT);
          if (lastY > MOBILE_EXIT_MIN_SCROLL_Y && speed > FAST_UPWARD_SCROLL_PX_PER_MS) once();
          lastY = y;
          lastT = t;
        });
      }
      break;
    }
    case "add_to_cart":
      cleanups.push(onAddToCart(once));
      break;
    default:
      // A trigger this runtime does not know: show nothing rather than show it wrongly.
      break;
  }
  return disarm;
}
