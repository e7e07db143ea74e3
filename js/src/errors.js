// The runtime's own errors: a `code` a store can switch on and a sentence saying why.

export class PersoError extends Error {
  constructor(code, message, cause) {
    super(message, cause ? { cause } : undefined);
    this.name = "PersoError";
    this.code = code;
  }
}

/** True for a trap inside the wasm engine (a Rust panic, an out-of-bounds access). */
export const isEngineTrap = (error) =>
  typeof WebAssembly !== "undefined" && error instanceof WebAssembly.RuntimeError;
