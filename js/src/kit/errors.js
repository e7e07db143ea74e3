// perso's errors, one list for both JS hosts: every error a host reports has a
// `code` a store can switch on and a sentence naming what is wrong. The engine
// reports its own as a record of numbers ([code, a, b, c], see src/errors.rs);
// `engineError` turns a record into a PersoError here, so the wasm carries no text.

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

/** The engine's numeric codes (src/errors.rs `Code`), by name. */
export const ENGINE_CODES = Object.freeze({
  bundle_not_compiled: 1,
  bundle_version: 2,
  bundle_truncated: 3,
  bundle_malformed: 4,
  bundle_header_mismatch: 5,
  bundle_invalid: 6,
  bundle_trailing: 7,
  context_encoding: 10,
  context_type: 11,
  state_malformed: 20,
  state_version: 21,
  rollback: 30,
  expired: 31,
});

const SECTIONS = ["header", "engine section", "host section"];
const FAULTS = [
  "",
  "a node refers to a later node",
  "a node refers to a missing or misshapen literal",
  "a condition nests too deep",
  "a node reads a slot, fact or segment the bundle does not have",
  "a campaign refers to something missing",
  "a segment refers to something missing",
  "a placement lists a campaign of another placement",
  "a product names a missing category",
  "a lookup table is out of order",
  "too many records",
  "a condition costs more than the limit",
  "the serial is above 2^53 - 1",
];
const KINDS = ["a string", "a number", "true or false", "an array", "an object {sku, category, price, qty}"];

/**
 * A PersoError for an engine error record. `slots` (the bundle's slot paths) names
 * the context field at fault; `subject` says what was being loaded.
 */
export function engineError([code, a, b, c], { slots = [], subject = "bundle" } = {}) {
  switch (code) {
    case ENGINE_CODES.bundle_not_compiled:
      return new PersoError("bundle_format", `The ${subject} is not a compiled perso bundle: publish bundle.bin with \`perso publish\` (the JSON bundle is its source).`);
    case ENGINE_CODES.bundle_version:
      return new PersoError("bundle_version", `The ${subject} is compiled in format version ${a}, which this engine does not read: republish it with this version of perso.`);
    case ENGINE_CODES.bundle_truncated:
      return new PersoError("bundle_invalid", `The ${subject} is truncated: it ends inside its ${SECTIONS[a] ?? "data"}.`);
    case ENGINE_CODES.bundle_malformed:
      return new PersoError("bundle_invalid", `The ${subject}'s ${SECTIONS[a] ?? "data"} is corrupt.`);
    case ENGINE_CODES.bundle_header_mismatch:
      return new PersoError("bundle_invalid", `The ${subject}'s header and content disagree (serial or expiry): it was altered.`);
    case ENGINE_CODES.bundle_invalid: {
      const where = a === 11 ? ` (campaign #${b}, node #${c})` : a === 1 || a === 2 || a === 3 || a === 4 ? ` (node #${b})` : a >= 5 && a <= 8 ? ` (record #${b})` : "";
      return new PersoError(a === 11 ? "bundle_too_costly" : "bundle_invalid", `The ${subject} is invalid in its engine section: ${FAULTS[a] ?? "unknown fault"}${where}.`);
    }
    case ENGINE_CODES.bundle_trailing:
      return new PersoError("bundle_invalid", `The ${subject} has bytes after its host section: it was altered.`);
    case ENGINE_CODES.context_encoding:
      return new PersoError("context_invalid", `The context could not be passed to the engine (malformed at byte ${a}).`);
    case ENGINE_CODES.context_type: {
      const path = slots[a] ?? "a field";
      const field = b === 0xffffffff ? path : `${path}[${b}]`;
      return Object.assign(new PersoError("context_invalid", `context.${field} must be ${KINDS[c] ?? "of another type"}.`), { path: `context.${field}` });
    }
    case ENGINE_CODES.state_malformed:
      return new PersoError("state_invalid", "The stored visitor state is malformed; perso starts afresh.");
    case ENGINE_CODES.state_version:
      return new PersoError("state_invalid", `The stored visitor state is version ${a}, which this engine does not read; perso starts afresh.`);
    case ENGINE_CODES.rollback:
      return new PersoError("rollback", `The ${subject} is older than one already accepted (rollback refused).`);
    case ENGINE_CODES.expired:
      return new PersoError("expired", `The ${subject} has expired (freeze refused): the publisher must republish it.`);
    default:
      return new PersoError("internal", `The engine failed with code ${code}.`);
  }
}
