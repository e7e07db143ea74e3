// Detached Ed25519 signatures over the exact bundle bytes (docs/api.md, "Signatures"),
// verified with WebCrypto. `data-key` holds one raw 32-byte key in base64 (trusted
// whatever the kid) or several "kid:BASE64" pairs separated by spaces (the kid picks).
import { PersoError } from "./errors.js";

const decodeBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * Parses `data-key` into `{ any: key }` or `{ byKid: Map }`; throws on a malformed value.
 * `name` is what the messages call the setting (the edge worker's PERSO_PUBLIC_KEYS).
 */
export function parseKeys(attribute, { name = "data-key" } = {}) {
  const words = String(attribute ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    throw new PersoError("key_missing", name === "data-key" ? "No public key: set data-key on the script tag (or `key` in start())." : `No public key: set ${name}.`);
  }
  const toKey = (b64, label) => {
    let bytes;
    try {
      bytes = decodeBase64(b64);
    } catch {
      throw new PersoError("key_invalid", `${name} ${label}is not base64.`);
    }
    if (bytes.length !== 32) throw new PersoError("key_invalid", `${name} ${label}must be a raw 32-byte Ed25519 key, got ${bytes.length} bytes.`);
    return bytes;
  };
  if (words.length === 1 && !words[0].includes(":")) return { any: toKey(words[0], "") };
  const byKid = new Map();
  for (const word of words) {
    const colon = word.indexOf(":");
    if (colon <= 0) throw new PersoError("key_invalid", `${name} entry "${word.slice(0, 20)}" must be "kid:BASE64".`);
    byKid.set(word.slice(0, colon), toKey(word.slice(colon + 1), `for kid "${word.slice(0, colon)}" `));
  }
  return { byKid };
}

/** Parses the signature file; throws `signature_invalid` naming the field at fault. */
export function parseSignatureFile(text) {
  let file;
  try {
    file = JSON.parse(text);
  } catch {
    throw new PersoError("signature_invalid", "bundle.json.sig is not JSON.");
  }
  if (file?.alg !== "Ed25519") throw new PersoError("signature_invalid", `bundle.json.sig: alg must be "Ed25519".`);
  if (typeof file.sig !== "string") throw new PersoError("signature_invalid", "bundle.json.sig: sig must be a base64 string.");
  let sig;
  try {
    sig = decodeBase64(file.sig);
  } catch {
    throw new PersoError("signature_invalid", "bundle.json.sig: sig is not base64.");
  }
  if (sig.length !== 64) throw new PersoError("signature_invalid", `bundle.json.sig: sig must be 64 bytes, got ${sig.length}.`);
  return { kid: typeof file.kid === "string" ? file.kid : null, sig };
}

/** Resolves if `signatureText` is a valid signature of `bytes` by a trusted key; else throws. */
export async function verifyBundle(bytes, signatureText, keys) {
  const { kid, sig } = parseSignatureFile(signatureText);
  const raw = keys.any ?? keys.byKid.get(kid);
  if (!raw) throw new PersoError("signature_untrusted", `The bundle is signed with key "${kid}", which this page does not trust.`);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new PersoError("signature_unsupported", "WebCrypto is unavailable (the page must be served over HTTPS).");
  let key;
  try {
    key = await subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    throw new PersoError("signature_unsupported", "This browser cannot verify Ed25519 signatures.");
  }
  const ok = await subtle.verify({ name: "Ed25519" }, key, sig, bytes);
  if (!ok) throw new PersoError("signature_mismatch", "The bundle's signature does not match its content or key: tampered, truncated or signed with another key.");
}
