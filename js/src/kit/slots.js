// The slot encoding (perso_core::context::slots): how a host hands the engine a
// context or an argument list without JSON. One tag byte per value, little-endian:
// 0 null, 1 false, 2 true, 3 number (f64), 4 string (u32 length, UTF-8),
// 5 list (u32 count, values), 6 object (u32 count, then key: u32 length + UTF-8, value).
// Non-finite numbers are written as null (as JSON.stringify would), and values
// nested deeper than MAX_CONTEXT_DEPTH are written as null (the engine refuses them).
import { LIMITS } from "./limits.js";

const encoder = new TextEncoder();

/** A growable byte buffer the writer reuses between calls (no allocation per decision). */
export class SlotWriter {
  constructor(capacity = 4096) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  reset() {
    this.length = 0;
    return this;
  }

  #room(n) {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  #u32(n) {
    this.#room(4);
    this.view.setUint32(this.length, n, true);
    this.length += 4;
  }

  #text(s) {
    // ASCII, the common case, byte by byte; anything else through TextEncoder.
    const n = s.length;
    this.#room(4 + n * 3);
    const at = this.length + 4;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      this.bytes[at + i] = c;
    }
    let written = i;
    if (i < n) written += encoder.encodeInto(s.slice(i), this.bytes.subarray(at + i)).written;
    this.view.setUint32(this.length, written, true);
    this.length = at + written;
  }

  /** Writes one value (any JSON-like JS value). */
  value(v, depth = 0) {
    if (v === null || v === undefined) return this.tag(0);
    switch (typeof v) {
      case "boolean":
        return this.tag(v ? 2 : 1);
      case "number":
        if (!Number.isFinite(v)) return this.tag(0);
        this.#room(9);
        this.bytes[this.length] = 3;
        this.view.setFloat64(this.length + 1, v, true);
        this.length += 9;
        return this;
      case "string":
        this.tag(4);
        this.#text(v);
        return this;
      case "object": {
        if (depth >= LIMITS.MAX_CONTEXT_DEPTH) return this.tag(0);
        if (Array.isArray(v)) {
          this.tag(5);
          this.#u32(v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i], depth + 1);
          return this;
        }
        if (typeof v.toJSON === "function") return this.value(v.toJSON(), depth);
        const keys = Object.keys(v).filter((k) => v[k] !== undefined && typeof v[k] !== "function");
        this.tag(6);
        this.#u32(keys.length);
        for (const key of keys) {
          this.#text(key);
          this.value(v[key], depth + 1);
        }
        return this;
      }
      default:
        return this.tag(0);
    }
  }

  tag(t) {
    this.#room(1);
    this.bytes[this.length++] = t;
    return this;
  }

  /** The bytes written so far (a view, valid until the next write). */
  get written() {
    return this.bytes.subarray(0, this.length);
  }
}

/** A getter for a dotted context path, made once per bundle slot. */
export function pathGetter(path) {
  const keys = path.split(".");
  if (keys.length === 1) {
    const [a] = keys;
    return (d) => d?.[a];
  }
  if (keys.length === 2) {
    const [a, b] = keys;
    return (d) => d?.[a]?.[b];
  }
  if (keys.length === 3) {
    const [a, b, c] = keys;
    return (d) => d?.[a]?.[b]?.[c];
  }
  return (d) => {
    let v = d;
    for (const key of keys) {
      if (v === null || v === undefined) return undefined;
      v = v[key];
    }
    return v;
  };
}
