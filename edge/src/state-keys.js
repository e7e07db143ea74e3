// The HMAC keys of `perso_state`, with key ids so that a secret can rotate without
// resetting every visitor: PERSO_STATE_KEYS = "kid:secret kid2:secret2". The first key
// signs; every listed key verifies. To rotate: put the new key first and keep the old
// one second for as long as returning visitors matter (each page re-signs the cookie
// with the first key), then drop it. PERSO_STATE_KEY = "secret" is the one-key form
// (kid "default").

import { ConfigError } from "./errors.js";
import { MIN_STATE_SECRET_BYTES } from "./limits.js";

const KID = /^[A-Za-z0-9_-]{1,16}$/;
const encoder = new TextEncoder();

/** `{ signing: { kid, secret }, byKid: Map<kid, secret> }`; throws (code "config") naming what is wrong. */
export function parseStateKeys(env) {
  const many = env.PERSO_STATE_KEYS;
  const one = env.PERSO_STATE_KEY;
  if (many && one) throw new ConfigError("set PERSO_STATE_KEYS or PERSO_STATE_KEY, not both (PERSO_STATE_KEY=S is PERSO_STATE_KEYS=\"default:S\")");
  if (!many && !one) throw new ConfigError('PERSO_STATE_KEYS is not set: give "kid:secret" with a secret of at least 32 bytes (openssl rand -base64 32)');
  const entries = many
    ? String(many).trim().split(/\s+/).map((entry) => {
        const colon = entry.indexOf(":");
        if (colon < 1) throw new ConfigError(`PERSO_STATE_KEYS: each key is "kid:secret"; "${entry.slice(0, 6)}..." has no kid`);
        return [entry.slice(0, colon), entry.slice(colon + 1)];
      })
    : [["default", String(one)]];
  const byKid = new Map();
  for (const [kid, secret] of entries) {
    if (!KID.test(kid)) throw new ConfigError(`PERSO_STATE_KEYS: kid "${kid.slice(0, 20)}" must be 1-16 letters, digits, "-" or "_"`);
    if (byKid.has(kid)) throw new ConfigError(`PERSO_STATE_KEYS: kid "${kid}" appears twice`);
    const bytes = encoder.encode(secret).length;
    if (bytes < MIN_STATE_SECRET_BYTES) {
      throw new ConfigError(
        `${many ? "PERSO_STATE_KEYS" : "PERSO_STATE_KEY"}: the secret of kid "${kid}" is ${bytes} bytes; at least ${MIN_STATE_SECRET_BYTES} are required (openssl rand -base64 32)`,
      );
    }
    byKid.set(kid, secret);
  }
  const [kid, secret] = entries[0];
  return { signing: { kid, secret }, byKid };
}
