// The worker's bindings (docs/edge-deploy.md §2). All values are strings, as wrangler's
// [vars], secrets and .dev.vars give them; each is checked when the worker starts
// serving (a wrong value is a logged `config` error naming the binding).

/** The bindings of the perso edge worker. */
export interface PersoEnv {
  /** Origin base URL ("https://origin.gizmos.example", "http://localhost:3000"), or "route" on a Cloudflare route. Required. */
  PERSO_ORIGIN: string;
  /** "BASE64" (one raw Ed25519 key) or "kid1:BASE64 kid2:BASE64". */
  PERSO_PUBLIC_KEYS: string;
  /** The bundle fetched from this URL (and its signature from `<url>.sig`)... */
  PERSO_BUNDLE_URL?: string;
  /** ...or the bundle JSON text and its bundle.json.sig text in the deployment. */
  PERSO_BUNDLE?: string;
  PERSO_BUNDLE_SIG?: string;
  /** Seconds a fetched bundle is fresh (default "300"); a stale one is served while it refreshes. */
  PERSO_BUNDLE_TTL_S?: string;
  /** Time limit of each bundle GET, headers and body (default "3000", at most "30000"). */
  PERSO_BUNDLE_TIMEOUT_MS?: string;
  /** Bundles with a lower serial are refused (anti-rollback across isolates and deploys). */
  PERSO_MIN_SERIAL?: string;
  /** Secret: "kid:secret kid2:secret2", secrets of 32+ bytes; the first signs, all verify. */
  PERSO_STATE_KEYS?: string;
  /** Secret: the one-key form of PERSO_STATE_KEYS (kid "default"). */
  PERSO_STATE_KEY?: string;
  /** Days a state cookie is accepted after it was last signed (default "365", at most "400"). */
  PERSO_STATE_MAX_AGE_DAYS?: string;
  /** Secret shared with the store's login code: the HMAC key of perso_customer. */
  PERSO_CUSTOMER_KEY?: string;
  /** "implied" (default) or "required": nothing stored until perso_consent=granted. */
  PERSO_CONSENT?: "implied" | "required";
  /** Largest page held for rewriting, in bytes (default "2097152"); larger pages pass through. */
  PERSO_MAX_PAGE_BYTES?: string;
  /** ISO currency of recommendation prices (default "USD"). */
  PERSO_CURRENCY?: string;
  /** Locale of price formatting (default "en-US"). */
  PERSO_LOCALE?: string;
  /** JSON [["/product/","product"], ...]: path prefix -> page.type. */
  PERSO_PAGE_TYPES?: string;
}

/** The part of the runtime's ExecutionContext the worker uses (background bundle refresh). */
export interface PersoExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** A module worker's fetch handler. */
export interface PersoWorker {
  fetch(request: Request, env: PersoEnv, ctx?: PersoExecutionContext): Promise<Response>;
}
