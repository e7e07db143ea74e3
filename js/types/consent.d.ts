// Types of perso's host-neutral consent rules (`import { consentFromTcString } from "perso/consent"`).

export interface PersoConsent {
  /** TCF purpose 1 (or the platform's storage purpose) granted. */
  storage: boolean;
  /** TCF purposes 5 and 6 (or the platform's personalization purpose) granted. */
  personalization: boolean;
  /** perso's one switch: storage and personalization both granted. */
  granted: boolean;
}

export const TCF_PURPOSES: { readonly storage: readonly number[]; readonly personalization: readonly number[] };

/** perso's consent from TCF purposes (`gdprApplies: false`: everything allowed). */
export function consentFromTcf(input: { gdprApplies?: boolean; purposeConsents?: Set<number> | number[] | Record<string, boolean> }): PersoConsent;

export interface DecodedTcString {
  version: 2;
  created: number;
  lastUpdated: number;
  cmpId: number;
  cmpVersion: number;
  consentScreen: number;
  consentLanguage: string;
  vendorListVersion: number;
  policyVersion: number;
  isServiceSpecific: boolean;
  useNonStandardTexts: boolean;
  specialFeatureOptIns: number[];
  purposeConsents: number[];
  purposeLegitimateInterests: number[];
  purposeOneTreatment: boolean;
  publisherCountryCode: string;
  publisherPurposeConsents: number[] | null;
}

/** Decodes an IAB TCF v2 TC string (the `euconsent-v2` cookie); null when unreadable. */
export function decodeTcString(text: string): DecodedTcString | null;

/** perso's consent from a `euconsent-v2` value; an unreadable or missing string is no consent. */
export function consentFromTcString(text: string | null | undefined, options?: { gdprApplies?: boolean }): PersoConsent;

/** perso's consent from Shopify's `preferencesProcessingAllowed()` / `preferencesAllowed`. */
export function consentFromShopify(allowed: boolean | null | undefined): PersoConsent;
