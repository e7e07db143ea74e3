// The worker's two error kinds, each with a stable `code` (the log lines' `code`, listed
// in docs/edge-deploy.md §7) and a message naming what is wrong.

/** The bundle cannot be used: missing, unsigned, tampered, too large, rolled back, expired, unreachable. */
export class BundleError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** A binding is missing or has a value the worker cannot use; the message names the binding. */
export class ConfigError extends Error {
  constructor(message) {
    super(message);
    this.code = "config";
  }
}
