// Consent, host-neutral (no DOM, no Workers API): the one rule that turns a consent
// platform's answer into perso's consent, and a decoder for the TC string that
// travels in the `euconsent-v2` cookie, so the browser (js/src/consent.js, reading the
// CMP's JavaScript API) and the edge worker (reading the cookie from the request)
// decide identically. Pure functions; nothing here reads or stores anything.
//
// perso needs two things from the shopper: storing its state on the device, and using
// that state to personalize. Under IAB TCF v2.2 those are purpose 1 ("Store and/or
// access information on a device") and purposes 5 and 6 ("Create profiles to
// personalise content", "Use profiles to select personalised content"), all three
// consent-only in TCF 2.2. perso has one switch (`consent.personalization`, and
// storage with it): it is on only when all three are granted, or when the CMP says
// the GDPR does not apply. Anything else (a denial, no answer, an unreadable string)
// is off: nothing stored, consent-gated campaigns excluded.

/** TCF purposes perso needs: storage on the device, and personalised content. */
export const TCF_PURPOSES = Object.freeze({ storage: [1], personalization: [5, 6] });

/**
 * perso's consent from TCF purposes: `{ storage, personalization, granted }`.
 * `gdprApplies`: the CMP's flag (false: TCF does not restrict, everything allowed;
 * true or unknown: the purposes decide). `purposeConsents`: the granted purpose ids
 * (a Set or array of numbers, or the `{ "1": true, ... }` map of `__tcfapi`'s tcData).
 */
export function consentFromTcf({ gdprApplies, purposeConsents }) {
  if (gdprApplies === false) return { storage: true, personalization: true, granted: true };
  const has = purposeGetter(purposeConsents);
  const storage = TCF_PURPOSES.storage.every(has);
  const personalization = TCF_PURPOSES.personalization.every(has);
  return { storage, personalization, granted: storage && personalization };
}

function purposeGetter(consents) {
  if (consents instanceof Set) return (id) => consents.has(id);
  if (Array.isArray(consents)) return (id) => consents.includes(id);
  if (consents && typeof consents === "object") return (id) => consents[id] === true;
  return () => false;
}

// ----- the TC string (what `euconsent-v2` holds) -----

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const MAX_TC_STRING = 16384;

/** Reads bits, most significant first, from a base64url segment. */
class Bits {
  constructor(segment) {
    this.values = [];
    for (const char of segment) {
      const value = BASE64URL.indexOf(char === "+" ? "-" : char === "/" ? "_" : char);
      if (value < 0) throw new Error("not base64url");
      this.values.push(value);
    }
    this.length = this.values.length * 6;
    this.at = 0;
  }

  int(width) {
    if (this.at + width > this.length) throw new Error("truncated");
    let value = 0;
    for (let i = 0; i < width; i++, this.at++) {
      const bit = (this.values[Math.floor(this.at / 6)] >> (5 - (this.at % 6))) & 1;
      value = value * 2 + bit; // not <<: fields are up to 36 bits
    }
    return value;
  }

  /** The ids (1-based) whose bits are set in the next `width` bits. */
  set(width) {
    const ids = [];
    for (let id = 1; id <= width; id++) if (this.int(1) === 1) ids.push(id);
    return ids;
  }

  letters(count) {
    let text = "";
    for (let i = 0; i < count; i++) text += String.fromCharCode(65 + this.int(6));
    return text;
  }
}

/**
 * Decodes the parts of an IAB TCF v2 TC string perso reads (the `euconsent-v2`
 * cookie's value): the core segment's header and purposes, and the publisher purposes
 * segment when present. Vendor sections are not read (perso is the store's own code,
 * not a vendor). Returns null for anything that is not a readable v2 string (TCF v1
 * strings included): callers treat that as no consent.
 *
 * Result: `{ version, created, lastUpdated, cmpId, cmpVersion, consentScreen,
 * consentLanguage, vendorListVersion, policyVersion, isServiceSpecific,
 * specialFeatureOptIns: number[], purposeConsents: number[],
 * purposeLegitimateInterests: number[], purposeOneTreatment, publisherCountryCode,
 * publisherPurposeConsents: number[] | null }`; times in milliseconds since the epoch.
 */
export function decodeTcString(text) {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_TC_STRING) return null;
  try {
    const [core, ...others] = text.trim().split(".");
    const bits = new Bits(core);
    const version = bits.int(6);
    if (version !== 2) return null;
    const decoded = {
      version,
      created: bits.int(36) * 100, // deciseconds
      lastUpdated: bits.int(36) * 100,
      cmpId: bits.int(12),
      cmpVersion: bits.int(12),
      consentScreen: bits.int(6),
      consentLanguage: bits.letters(2),
      vendorListVersion: bits.int(12),
      policyVersion: bits.int(6),
      isServiceSpecific: bits.int(1) === 1,
      useNonStandardTexts: bits.int(1) === 1,
      specialFeatureOptIns: bits.set(12),
      purposeConsents: bits.set(24),
      purposeLegitimateInterests: bits.set(24),
      purposeOneTreatment: bits.int(1) === 1,
      publisherCountryCode: bits.letters(2),
      publisherPurposeConsents: null,
    };
    for (const segment of others) {
      const more = new Bits(segment);
      if (more.int(3) !== 3) continue; // 1: disclosed vendors, 2: allowed vendors (not read)
      decoded.publisherPurposeConsents = more.set(24);
    }
    return decoded;
  } catch {
    return null;
  }
}

/**
 * perso's consent from a `euconsent-v2` cookie value (and the GDPR flag, which a TC
 * string does not carry: the edge knows it from the request's country or the store's
 * configuration; unknown counts as applying). An unreadable or missing string is no
 * consent.
 */
export function consentFromTcString(text, { gdprApplies } = {}) {
  if (gdprApplies === false) return consentFromTcf({ gdprApplies });
  const decoded = decodeTcString(text);
  return consentFromTcf({ gdprApplies, purposeConsents: decoded?.purposeConsents ?? [] });
}

// ----- Shopify's Customer Privacy API -----

/**
 * perso's consent from Shopify's Customer Privacy answer: the `preferences` purpose
 * ("remember customer preferences ... to personalize visits"), which is what perso
 * stores and uses. `allowed`: `customerPrivacy.preferencesProcessingAllowed()` or the
 * `visitorConsentCollected` event's `preferencesAllowed`.
 */
export function consentFromShopify(allowed) {
  const granted = allowed === true;
  return { storage: granted, personalization: granted, granted };
}
