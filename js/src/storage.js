// Device storage for perso: localStorage under documented, versioned keys, bounded in
// size, and never throwing. When storage is disabled, full or not allowed (consent
// denied, Global Privacy Control), values live in memory for this page only.

/** Every key perso writes. Nothing else is ever stored (checked by the privacy test). */
export const STORAGE_KEYS = Object.freeze({
  visitor: "perso:v2:visitor", // the engine's visitor state, compact form in base64 (visits, session, caps, interests)
  cart: "perso:v1:cart", // cart lines seen on earlier pages of this device
  bundle: "perso:v2:bundle", // last good compiled bundle (base64), its signature file and serial
  serial: "perso:v1:serial", // highest bundle serial accepted (anti-rollback)
  quarantine: "perso:v1:quarantine", // SHA-256 of bundles that crashed the engine here: never used again
  link: "perso:v2:link", // sessionStorage, this tab only: the signed landing link sent with a claim (claims.js)
});

/** Keys of earlier formats: removed when found (their content is not readable any more). */
export const LEGACY_KEYS = Object.freeze(["perso:v1:visitor", "perso:v1:bundle"]);

/** Largest value perso writes under one key; larger values are kept in memory only. */
export const MAX_VALUE_CHARS = 256 * 1024;

export class DeviceStorage {
  /**
   * `persistent`: perso may read and write localStorage now. Without it nothing is read
   * or written, and what is stored stays as it is (consent not given *yet* is not a
   * withdrawal: a returning visitor's state is picked up when it is granted), unless
   * `erase` (Global Privacy Control: the shopper asked us not to keep anything).
   * `onUnavailable(error)` is called when a write had to stay in memory (full, disabled).
   * `readOnly` (a preview link's document): reads as usual, but nothing is ever
   * written, removed or erased; every change lives in memory for this page only.
   */
  constructor({ persistent, erase = false, readOnly = false, onUnavailable = () => {} }) {
    this.onUnavailable = onUnavailable;
    this.memory = new Map();
    this.persistent = Boolean(persistent);
    this.readOnly = Boolean(readOnly);
    if (!this.persistent && erase) this.#erase();
    this.#dropLegacy();
  }

  #erase() {
    if (this.readOnly) return;
    for (const key of Object.values(STORAGE_KEYS)) {
      try {
        globalThis.localStorage?.removeItem(key);
      } catch {
        // Storage disabled: there is nothing to erase.
      }
    }
  }

  #dropLegacy() {
    if (this.readOnly) return;
    for (const key of LEGACY_KEYS) {
      try {
        globalThis.localStorage?.removeItem(key);
      } catch {
        // Storage disabled: nothing to remove.
      }
    }
  }

  /**
   * Switches persistence on or off (consent granted or withdrawn); off also erases
   * perso's keys. On a grant, what is already stored wins over what this page kept in
   * memory for the keys in `storedWins` (the visitor's state from earlier visits);
   * the rest of memory is written through. Returns the keys whose stored value won.
   */
  setPersistent(persistent, { storedWins = [] } = {}) {
    const won = [];
    if (persistent && !this.persistent) {
      this.persistent = true;
      for (const [key, value] of this.memory) {
        const stored = storedWins.includes(key) ? this.#read(key) : null;
        if (stored !== null) {
          this.memory.set(key, stored);
          won.push(key);
        } else {
          this.#write(key, value);
        }
      }
      for (const key of storedWins) {
        if (!this.memory.has(key) && this.#read(key) !== null) won.push(key);
      }
    } else if (!persistent) {
      this.persistent = false;
      this.#erase();
    }
    return won;
  }

  #read(key) {
    try {
      return globalThis.localStorage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  get(key) {
    if (this.memory.has(key)) return this.memory.get(key);
    if (!this.persistent) return null;
    try {
      const value = globalThis.localStorage?.getItem(key) ?? null;
      if (value !== null) this.memory.set(key, value);
      return value;
    } catch (error) {
      this.onUnavailable(error);
      return null;
    }
  }

  getJSON(key) {
    const text = this.get(key);
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  set(key, value) {
    this.memory.set(key, value);
    if (this.persistent) this.#write(key, value);
  }

  setJSON(key, value) {
    this.set(key, JSON.stringify(value));
  }

  remove(key) {
    if (this.readOnly) {
      this.memory.set(key, null); // gone for this page; the stored value stays as it is
      return;
    }
    this.memory.delete(key);
    try {
      globalThis.localStorage?.removeItem(key);
    } catch {
      // Storage disabled.
    }
  }

  /** Writes through to localStorage; a full or disabled store leaves the value in memory. */
  #write(key, value) {
    if (this.readOnly || value.length > MAX_VALUE_CHARS) return false;
    try {
      globalThis.localStorage?.setItem(key, value);
      return true;
    } catch (error) {
      // Quota exceeded: the cached bundle is the largest value and can be rebuilt from
      // the network, so drop it and try once more before settling for memory.
      try {
        if (key !== STORAGE_KEYS.bundle) {
          globalThis.localStorage?.removeItem(STORAGE_KEYS.bundle);
          globalThis.localStorage?.setItem(key, value);
          return true;
        }
      } catch {
        // Still full or disabled: memory only.
      }
      this.onUnavailable(error);
      return false;
    }
  }
}
