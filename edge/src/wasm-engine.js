// The engine, instantiated once per isolate from the pre-compiled WebAssembly.Module
// the runtime hands the worker (no bytes compiled at run time, no eval): the only way
// edge runtimes allow.

import wasmModule from "../../pkg/perso_bg.wasm";
import * as perso from "../../pkg/perso.js";

let exports = null;
let generation = 0;

/** The wasm-bindgen exports, ready to call (instantiated on first use). */
export function persoApi() {
  if (!exports) exports = perso.initSync({ module: wasmModule });
  return perso;
}

/** Which instance is live: engines compiled under an older one must be recompiled. */
export function instanceGeneration() {
  return generation;
}

/** Size of the engine's linear memory (it only grows): the bench watches it. */
export function wasmMemoryBytes() {
  return exports ? exports.memory.buffer.byteLength : 0;
}

/**
 * After a panic (a WebAssembly.RuntimeError) the instance's memory cannot be trusted:
 * drop it and start a fresh instance from the same compiled module. The bundle is
 * recompiled on the next request (bundle.js compares generations); the page that
 * failed has already passed through unchanged.
 */
export function poisonOnPanic(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    exports = perso.reinstantiate();
    generation += 1;
  }
}
