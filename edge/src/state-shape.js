// The only place the worker looks inside the engine's visitor state: shrinking it to
// fit the cookie. Re-exported by engine-calls.js (the rest of the worker goes through
// that module); kept apart only because it needs no WebAssembly, so Node unit tests
// can run it. It goes when the engine bounds its own serialized state.

/**
 * A smaller state for a cookie that does not fit: drops about an eighth of the campaign
 * records, least recently touched first and those carrying a dismissal last
 * (forgetting a dismissal would show the shopper an offer they closed). null when
 * there is nothing left to drop.
 */
export function shrinkVisitorState(state) {
  const records = state.campaigns ?? [];
  if (records.length === 0) return null;
  const evictable = [...records].sort(
    (a, b) => Number(a.dismissed_ms !== undefined) - Number(b.dismissed_ms !== undefined) || a.last_ms - b.last_ms,
  );
  const dropped = new Set(evictable.slice(0, Math.max(1, Math.ceil(records.length / 8))));
  return { ...state, campaigns: records.filter((record) => !dropped.has(record)) };
}
