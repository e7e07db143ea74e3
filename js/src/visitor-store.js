// The visitor's state on this device: a Visitor handle held in the engine, loaded
// from localStorage (its compact form, base64) or adopted from the edge worker's
// hand-off, and written back only when it changed. Without consent nothing is
// written (DeviceStorage keeps it in memory for the page).
import { encodeBase64, decodeBase64 } from "./kit/index.js";
import { STORAGE_KEYS } from "./storage.js";

/** Room the state may take in localStorage (its compact form is a few hundred bytes). */
const STATE_BUDGET = 4096;

export class VisitorStore {
  constructor(storage) {
    this.storage = storage;
    this.visitor = null;
    this.saved = null;
  }

  /**
   * The stored visitor (or the edge's, when given), else a fresh one with a random id.
   * `kit` is the engine kit; unusable stored state starts afresh.
   */
  load(kit, { edgeBytes, randomId, nowMs }) {
    this.visitor?.free();
    this.visitor = null;
    for (const bytes of [edgeBytes, this.#stored()]) {
      if (!bytes) continue;
      try {
        this.visitor = kit.visitorFromBytes(bytes);
        break;
      } catch (error) {
        if (error?.code !== "state_invalid") throw error;
      }
    }
    this.visitor ??= kit.freshVisitor(randomId(), nowMs);
    return this.visitor;
  }

  #stored() {
    const text = this.storage.get(STORAGE_KEYS.visitor);
    if (!text) return null;
    try {
      return decodeBase64(text);
    } catch {
      return null;
    }
  }

  /** Writes the state if it changed since the last write. */
  save() {
    if (!this.visitor) return;
    const bytes = this.visitor.toBytes(STATE_BUDGET);
    if (!bytes) return;
    const text = encodeBase64(bytes);
    if (text === this.saved) return;
    this.saved = text;
    this.storage.set(STORAGE_KEYS.visitor, text);
  }

  /** Writes the state even if unchanged (consent just granted: memory goes to storage). */
  flush() {
    this.saved = null;
    this.save();
  }

  /** The state in its JSON form, for the debug overlay (needs the full engine). */
  bytes() {
    return this.visitor?.toBytes(STATE_BUDGET) ?? null;
  }
}
