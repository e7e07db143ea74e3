// The limits both JS hosts enforce, copied from perso_core::limits (the one home);
// a test compares every value here with the engine's own (`limit(name)`).
export const LIMITS = Object.freeze({
  MAX_BUNDLE_BYTES: 1 << 20,
  MAX_CONTEXT_LIST: 64,
  MAX_CONTEXT_TEXT: 1024,
  MAX_CONTEXT_DEPTH: 8,
  MAX_CART_LINES: 50,
  MAX_CART_QTY: 999,
  MAX_UTM_TEXT: 64,
  MAX_INTERESTS: 12,
  MAX_STATE_TEXT: 64,
  MAX_SERIAL: 2 ** 53 - 1,
});
