// GET of the bundle and its signature from PERSO_BUNDLE_URL, bounded in time and size:
// a host that never answers, answers slowly or sends an endless body costs at most
// `timeoutMs` and MAX_BUNDLE_BYTES, never the page (bundle.js serves the last good
// bundle meanwhile, or passes pages through when it has none).

import { BundleError } from "./errors.js";
import { MAX_BUNDLE_BYTES, MAX_SIGNATURE_BYTES } from "./limits.js";
import { readAllWithin } from "../../js/src/kit/read-capped.js";

/** `{ bundleBytes (Uint8Array), signatureText }`; throws BundleError (bundle_fetch, bundle_timeout, bundle_too_large, signature_missing). */
export async function fetchBundle(url, { timeoutMs }) {
  // One signal for both requests and their bodies: the time limit covers the whole GET.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const [bundleResponse, signatureResponse] = await Promise.all([fetch(url, { signal }), fetch(`${url}.sig`, { signal })]);
    try {
      if (!bundleResponse.ok) throw new BundleError("bundle_fetch", `GET bundle: HTTP ${bundleResponse.status}`);
      if (!signatureResponse.ok) throw new BundleError("signature_missing", `GET bundle.sig: HTTP ${signatureResponse.status}`);
      const declared = Number(bundleResponse.headers.get("content-length"));
      if (declared > MAX_BUNDLE_BYTES) throw tooLarge(`${declared} bytes (Content-Length)`);
      const [bundleBytes, signatureBytes] = await Promise.all([
        readAllWithin(bundleResponse.body, MAX_BUNDLE_BYTES, () => tooLarge(`more than ${MAX_BUNDLE_BYTES} bytes`)),
        readAllWithin(signatureResponse.body, MAX_SIGNATURE_BYTES, () => new BundleError("signature_invalid", `bundle.json.sig is more than ${MAX_SIGNATURE_BYTES} bytes`)),
      ]);
      return { bundleBytes, signatureText: new TextDecoder().decode(signatureBytes) };
    } finally {
      // Whatever failed, do not leave a body being downloaded.
      for (const response of [bundleResponse, signatureResponse]) if (!response.bodyUsed) response.body?.cancel().catch(() => {});
    }
  } catch (error) {
    if (error instanceof BundleError) throw error;
    if (signal.aborted) throw new BundleError("bundle_timeout", `GET ${url}: no complete answer within ${timeoutMs} ms (PERSO_BUNDLE_TIMEOUT_MS)`);
    throw new BundleError("bundle_fetch", `GET ${url}: ${error.message}`);
  }
}

export function tooLarge(size) {
  return new BundleError(
    "bundle_too_large",
    `bundle is ${size}, over the ${MAX_BUNDLE_BYTES.toLocaleString("en-US")}-byte limit of a published bundle (docs/bundle-format.md)`,
  );
}
