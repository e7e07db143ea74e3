// Reading the Cookie header and writing Set-Cookie for perso's own cookies only.
// Values perso writes are base64url and dots, so they never need quoting.

export const COOKIE = {
  state: "perso_state",
  client: "perso_client",
  customer: "perso_customer",
  cart: "perso_cart",
  consent: "perso_consent",
};

/** Our cookie values by name (first occurrence wins, as in browsers' ordering by path). */
export function readCookies(header) {
  const found = {};
  if (!header) return found;
  const wanted = new Set(Object.values(COOKIE));
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!wanted.has(name) || name in found) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    found[name] = value;
  }
  return found;
}

export function setCookie(name, value, { maxAgeS, secure }) {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeS}; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function expireCookie(name, { secure }) {
  return setCookie(name, "", { maxAgeS: 0, secure });
}
