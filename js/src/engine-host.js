// Loads the lean wasm engine and guards every call into it. The module is compiled
// from the network as it streams (`WebAssembly.compileStreaming`), started by the
// script tag at once, in parallel with the bundle's GET. A trap (Rust panic,
// corrupted memory) drops the instance: the runtime reports one error, quarantines
// the bundle that was in use and may start a fresh instance (`reinstantiate`).
import initWasm, * as glue from "../../pkg/perso.js";
import { createKit, PersoError, isEngineTrap } from "./kit/index.js";

/** Compiles the engine's wasm while it downloads (falls back when the server's MIME type is not application/wasm). */
export function compileEngine(win, url) {
  const fetchWasm = () => win.fetch(url, { credentials: "same-origin" });
  const compile = async () => {
    if (typeof WebAssembly.compileStreaming === "function") {
      try {
        return await WebAssembly.compileStreaming(fetchWasm());
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
      }
    }
    const response = await fetchWasm();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  };
  return compile().catch((error) => {
    throw new PersoError("wasm_load", `The perso engine (${url}) failed to load: ${error.message}`, error);
  });
}

export class EngineHost {
  /** `module`: a promise of the compiled WebAssembly.Module (compileEngine). */
  constructor(module) {
    this.module = module;
    this.kit = null;
    this.engine = null;
    this.broken = null;
  }

  async load() {
    if (this.kit) return this.kit;
    let exports;
    try {
      exports = await initWasm({ module_or_path: await this.module });
    } catch (error) {
      if (error instanceof PersoError) throw error;
      throw new PersoError("wasm_load", `The perso engine failed to start: ${error.message}`, error);
    }
    this.kit = createKit(glue, exports);
    return this.kit;
  }

  /** After a trap: a fresh instance from the same compiled module (engines made before are gone). */
  reinstantiate() {
    this.engine = null;
    this.broken = null;
    this.kit = createKit(glue, glue.reinstantiate());
    return this.kit;
  }

  /** Loads a compiled bundle into a new engine; the previous one stays until this succeeds. */
  compile(bundleBytes) {
    return this.call((_, kit) => kit.loadBundle(bundleBytes));
  }

  use(engine) {
    const previous = this.engine;
    this.engine = engine;
    if (previous && previous !== engine) this.call(() => previous.free());
  }

  /**
   * Runs `fn(engine, kit)`. The engine's own errors (PersoErrors naming bad input)
   * are rethrown as they are; anything else — a trap, an error from the glue, an
   * impossible answer — means the instance cannot be trusted: it is marked broken
   * and `engine_trap` is thrown.
   */
  call(fn) {
    if (this.broken) throw this.broken;
    try {
      return fn(this.engine, this.kit);
    } catch (error) {
      if (error instanceof PersoError && error.code !== "engine_trap") throw error;
      const what = isEngineTrap(error) ? "crashed" : "crashed (its glue failed)";
      const detail = String(error?.message ?? error).slice(0, 120).replace(/[^\x20-\x7e]/g, "?");
      this.broken = new PersoError("engine_trap", `The perso engine ${what} (${detail}); personalization is off on this page.`, error);
      this.engine = null; // never call into a trapped instance again
      throw this.broken;
    }
  }

  /** Fault injection for tests: traps the instance as a panic would. */
  trap() {
    return this.call(() => glue.debugTrap());
  }
}
