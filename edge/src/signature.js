// Detached Ed25519 signatures of the bundle (format: docs/api.md "Signatures"),
// verified with WebCrypto, which workerd implements natively.

import { decodeBase64 } from "./base64url.js";
import { BundleError } from "./errors.js";

export { BundleError };

const encoder = new TextEncoder();

/** Parses "BASE64" or "kid1:BASE64 kid2:BASE64" into { any?, byKid } raw keys. */
export function parsePublicKeys(configured) {
  if (typeof configured !== "string" || configured.trim() === "") throw new BundleError("config", "PERSO_PUBLIC_KEYS is not set");
  const entries = configured.trim().split(/\s+/);
  const byKid = new Map();
  let any = null;
  for (const entry of entries) {
    const colon = entry.indexOf(":");
    const kid = colon >= 0 ? entry.slice(0, colon) : null;
    const raw = decodeBase64(colon >= 0 ? entry.slice(colon + 1) : entry);
    if (!raw || raw.length !== 32) throw new BundleError("config", `PERSO_PUBLIC_KEYS: "${entry.slice(0, 16)}..." is not a base64 32-byte Ed25519 key`);
    if (kid === null) {
      if (entries.length > 1) throw new BundleError("config", "PERSO_PUBLIC_KEYS: with several keys, each needs a kid (kid:BASE64)");
      any = raw;
    } else byKid.set(kid, raw);
  }
  return { any, byKid };
}

const importedKeys = new Map();
function importKey(raw) {
  const id = raw.join(",");
  let key = importedKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    importedKeys.set(id, key);
  }
  return key;
}

/** Resolves when `signatureText` is a valid signature of `bundleBytes`; throws BundleError otherwise. */
export async function verifyBundle(bundleBytes, signatureText, keys) {
  let signature;
  try {
    signature = JSON.parse(signatureText);
  } catch {
    throw new BundleError("signature_invalid", "bundle.json.sig is not JSON");
  }
  if (signature?.alg !== "Ed25519") throw new BundleError("signature_invalid", `bundle.json.sig: alg must be "Ed25519"`);
  const sig = decodeBase64(signature.sig);
  if (!sig || sig.length !== 64) throw new BundleError("signature_invalid", "bundle.json.sig: sig must be a base64 64-byte signature");
  const raw = keys.any ?? keys.byKid.get(signature.kid);
  if (!raw) throw new BundleError("signature_invalid", `bundle.json.sig: no trusted key for kid "${String(signature.kid).slice(0, 32)}"`);
  const bytes = typeof bundleBytes === "string" ? encoder.encode(bundleBytes) : bundleBytes;
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, await importKey(raw), sig, bytes);
  if (!valid) throw new BundleError("signature_invalid", "bundle signature does not verify: the bundle was changed or signed with another key");
}
