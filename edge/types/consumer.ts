// Compiled (not run) by test/package.test.js: a store's TypeScript using the worker's types.
import worker, { type PersoEnv } from "perso-edge";
import { createHandler } from "perso-edge/handler";
import { customerSetCookie, mintCustomerCookie } from "perso-edge/customer-cookie";

const env: PersoEnv = {
  PERSO_ORIGIN: "https://origin.gizmos.example",
  PERSO_PUBLIC_KEYS: "prod-1:AAAA",
  PERSO_BUNDLE_URL: "https://www.gizmos.example/perso/bundle.json",
  PERSO_STATE_KEYS: "k2:new-secret k1:old-secret",
  PERSO_CONSENT: "required",
};

// A store's own entry: the bundle shipped in the deployment.
const handler = createHandler({ now: () => Date.now() });
export default {
  fetch: (request: Request, bindings: PersoEnv, ctx: { waitUntil(p: Promise<unknown>): void }) =>
    handler.fetch(request, { ...bindings, PERSO_BUNDLE: "{}", PERSO_BUNDLE_SIG: "{}" }, ctx),
};

async function login(): Promise<string> {
  const value = await mintCustomerCookie({ first_name: "Ada", ltv_band: "high", rfm: { score: 14 } }, "secret", { expiresAtMs: Date.now() + 3_600_000 });
  return customerSetCookie(value, { expiresAtMs: Date.now() + 3_600_000 });
}

void worker.fetch(new Request("https://www.gizmos.example/"), env);
void login();
