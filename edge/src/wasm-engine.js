// The engine, instantiated once per isolate from the pre-compiled WebAssembly.Module
// the runtime hands the worker (no bytes compiled at run time, no eval): the only way
// edge runtimes allow.

import wasmModule from "../../pkg/perso_bg.wasm";
import * as perso from "../../pkg/perso.js";

let exports = null;
let poisoned = null;

/** The wasm-bindgen exports, ready to call; throws once the instance has panicked. */
export function persoApi() {
  if (poisoned) throw poisoned;
  if (!exports) exports = perso.initSync({ module: wasmModule });
  return perso;
}

/** Size of the engine's linear memory (it only grows): the bench watches it. */
export function wasmMemoryBytes() {
  return exports ? exports.memory.buffer.byteLength : 0;
}

/**
 * After a panic (WebAssembly.RuntimeError) the instance's memory cannot be trusted.
 * TODO(lead): the wasm-bindgen glue cannot be re-instantiated in place (initSync
 * returns early once initialized); until it can, this isolate passes every page
 * through unchanged and the runtime replaces the isolate in time.
 */
export function poisonOnPanic(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    poisoned = new Error(`engine instance disabled after a panic: ${error.message}`);
    poisoned.code = "panic";
  }
}
