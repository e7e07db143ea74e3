// One JSON line per event on the worker's console (`wrangler tail`, Logpush). Codes
// and reasons only: never cookie contents, URLs with query strings or other visitor
// data, because logs leave the request's boundary.

export function logEdge(level, code, message) {
  const line = JSON.stringify({ perso: "edge", level, code, message: String(message).slice(0, 500) });
  if (level === "error") console.error(line);
  else console.warn(line);
}
