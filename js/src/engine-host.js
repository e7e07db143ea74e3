// Loads the wasm engine (wasm-bindgen `--target web` glue) and guards every call into
// it: a trap (Rust panic, corrupted memory) drops the instance for good on this page,
// so the runtime reports one error and the page keeps its defaults.
import { PersoError, isEngineTrap } from "./errors.js";

export class EngineHost {
  constructor({ glueUrl, wasmUrl }) {
    this.glueUrl = glueUrl;
    this.wasmUrl = wasmUrl;
    this.wasm = null;
    this.engine = null;
    this.broken = null;
  }

  /** Imports the glue and instantiates the wasm module (once). */
  async load() {
    if (this.wasm) return this.wasm;
    try {
      const glue = await import(this.glueUrl);
      await glue.default({ module_or_path: this.wasmUrl });
      this.wasm = glue;
      return glue;
    } catch (error) {
      throw new PersoError("wasm_load", `The perso engine (${this.wasmUrl}) failed to load: ${error.message}`, error);
    }
  }

  /** Compiles a bundle into a new engine; the previous one stays until this succeeds. */
  compile(bundleBytes) {
    return this.call(() => {
      const engine = this.wasm.Engine.fromBundle(bundleBytes);
      return engine;
    });
  }

  use(engine) {
    const previous = this.engine;
    this.engine = engine;
    if (previous && previous !== engine) this.call(() => previous.free());
  }

  /**
   * Runs `fn` against the engine. Engine errors (PersoError-like, with `code`) are
   * rethrown as they are; a trap marks the instance broken and throws `engine_trap`.
   */
  call(fn) {
    if (this.broken) throw this.broken;
    try {
      return fn(this.engine, this.wasm);
    } catch (error) {
      if (isEngineTrap(error)) {
        this.broken = new PersoError("engine_trap", `The perso engine crashed (${error.message}); personalization is off on this page.`, error);
        this.engine = null; // never call into a trapped instance again
        this.wasm = null;
        throw this.broken;
      }
      throw error;
    }
  }
}
