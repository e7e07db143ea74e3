// Verifies a perso detached signature the way browsers and edge workers do: WebCrypto's
// Ed25519 over the exact bundle bytes, with the raw 32-byte public key.
// Usage: node webcrypto_verify.mjs BUNDLE SIG BASE64_PUBLIC_KEY   (prints "valid" or "invalid")
import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";

const [bundlePath, sigPath, publicKey] = process.argv.slice(2);
const bundle = readFileSync(bundlePath);
const sig = JSON.parse(readFileSync(sigPath, "utf8"));
if (sig.alg !== "Ed25519") throw new Error(`unexpected alg ${sig.alg}`);
const key = await webcrypto.subtle.importKey("raw", Buffer.from(publicKey, "base64"), { name: "Ed25519" }, false, ["verify"]);
const ok = await webcrypto.subtle.verify({ name: "Ed25519" }, key, Buffer.from(sig.sig, "base64"), bundle);
console.log(ok ? "valid" : "invalid");
