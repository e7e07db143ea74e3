// Preview links: the runtime side of the contract in docs/browser-runtime.md, "Preview
// links" (the CLI side is `perso publish --preview`). A page whose URL carries
// `perso_preview=<site path of a draft's bundle.bin>` decides with that draft instead of
// the production bundle, for the marketer's QA:
//   1. the draft is fetched like production (plain GET, no credentials, no referrer,
//      size cap) from a same-origin path only, and verified against the page's
//      `data-preview-keys` only, its kid starting with `preview-` and listed;
//   2. its expiry is checked, the rollback check skipped, its serial never remembered;
//   3. nothing is written to the device (the runtime's storage is read-only for this
//      document: the visitor starts from a copy of the stored state, kept in memory),
//      and behind the edge nothing the edge rendered or handed off is adopted;
//   4. `perso_campaign` (and `perso_variant`) force that campaign in its placement
//      (the engine's `force`, consent still applies);
//   5. a fixed marker says it is a preview ("perso preview · serial N") with a link out.
// A refused preview is production as usual, reported as a `perso:error` with
// `preview: true` and the marker saying "preview refused".
//
// Loaded only on a preview link's page (perso.js imports it on demand). It imports
// nothing: the runtime hands it the loader and the kit's signature functions
// (`tools`), so no code it shares with the runtime is split out of perso.js.

/** Kids of preview keys start with this (`perso keygen --kid preview-team`). */
export const PREVIEW_KID_PREFIX = "preview-";

let tools = null; // { PersoError, parseKeys, parseSignatureFile, verifyBundle, fetchBundle }
/** A refusal of the link itself; `reason` is the marker's few words. */
const untrusted = (message, reason) => Object.assign(new tools.PersoError("preview_untrusted", message), { reason });

/** The marker's words for a refused draft (its error's code), beside the code itself. */
export function refusalReason(error) {
  if (error?.reason) return error.reason;
  const code = String(error?.code ?? "");
  if (code === "expired") return "the draft has expired";
  if (code === "bundle_fetch" || code === "bundle_too_large") return "the draft could not be fetched";
  if (code.startsWith("signature_") || code.startsWith("key_")) return "the draft's signature does not verify";
  if (code.startsWith("bundle_")) return "the draft is not a valid compiled bundle";
  return "the draft could not be used";
}

/**
 * The draft's URL if `value` is a path of this site (`/…`: no scheme, no `//host`, no
 * backslash or control character, no query or fragment, so the GET carries nothing
 * but the path, as production's), else null.
 */
export function sameOriginPath(value, origin) {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")) return null;
  if (/[\\?#\u0000-\u001f\u007f]/.test(value)) return null;
  let url;
  try {
    url = new URL(value, origin);
  } catch {
    return null;
  }
  return url.origin === origin ? url.href : null;
}

/** `data-preview-keys` → `{ byKid }` of its `preview-…` keys; throws `preview_untrusted` when none. */
export function parsePreviewKeys(text) {
  if (!String(text ?? "").trim()) throw untrusted("This page lists no preview keys (data-preview-keys on the script tag, or previewKeys in start()): previews are refused.", "this page lists no preview keys");
  let keys;
  try {
    keys = tools.parseKeys(text);
  } catch (error) {
    throw untrusted(`data-preview-keys is malformed (${error.message.replace(/data-key/g, "the value")}): previews are refused.`, "this page's preview keys are malformed");
  }
  const byKid = new Map([...(keys.byKid ?? [])].filter(([kid]) => kid.startsWith(PREVIEW_KID_PREFIX)));
  if (byKid.size === 0) throw untrusted(`data-preview-keys must list "${PREVIEW_KID_PREFIX}kid:BASE64" keys; previews are refused.`, "this page lists no preview keys");
  return { byKid };
}

/** The link that leaves preview: the same URL with `perso_preview=off` and nothing forced. */
export function exitHref(href) {
  const url = new URL(href);
  url.searchParams.set("perso_preview", "off");
  url.searchParams.delete("perso_campaign");
  url.searchParams.delete("perso_variant");
  return url.href;
}

/**
 * What this document's URL asks for: null when it is production (no `perso_preview`,
 * or `perso_preview=off`), else a Preview (its draft's GET already started).
 * `runtimeTools`: `{ PersoError, parseKeys, parseSignatureFile, verifyBundle, fetchBundle }`.
 */
export function previewFromLocation(win, config, runtimeTools) {
  tools = runtimeTools;
  const params = new URL(win.location.href).searchParams;
  const value = params.get("perso_preview");
  if (value === null || value === "off") return null;
  return new Preview(win, config, { value, campaign: params.get("perso_campaign") || null, variant: params.get("perso_variant") || null });
}

export class Preview {
  constructor(win, config, { value, campaign, variant }) {
    this.win = win;
    this.config = config;
    this.campaign = campaign;
    this.variant = campaign ? variant : null;
    this.serial = null;
    this.refused = null;
    this.note = null;
    this.marker = null;
    // A page that trusts no preview key, or a draft elsewhere, is refused before any GET.
    this.draft = (async () => {
      const keys = parsePreviewKeys(config.previewKeysText);
      const bundleUrl = sameOriginPath(value, win.location.origin);
      if (!bundleUrl) throw untrusted(`perso_preview must be a path of this site ("/…"), not ${JSON.stringify(value.slice(0, 80))}: the preview is refused.`, "the draft is not on this site");
      return { keys, fetched: await tools.fetchBundle(win, { ...config, bundleUrl, signatureUrl: `${bundleUrl}.sig` }) };
    })();
    this.draft.catch(() => {}); // awaited in load()
  }

  /**
   * The draft verified, loaded and fresh, as an engine with the link's campaign forced;
   * throws (the preview is refused) otherwise. `host` is the runtime's EngineHost.
   */
  async load(host) {
    try {
      const { keys, fetched } = await this.draft;
      const { kid } = tools.parseSignatureFile(fetched.sig);
      if (!kid?.startsWith(PREVIEW_KID_PREFIX) || !keys.byKid.has(kid)) {
        throw untrusted(`The draft is signed with key ${JSON.stringify(kid)}, which is not a preview key this page lists in data-preview-keys: the preview is refused.`, "the draft is not signed with a preview key this page lists");
      }
      await tools.verifyBundle(fetched.bytes, fetched.sig, keys);
      const engine = host.compile(fetched.bytes);
      try {
        // Expiry only: a draft's serial may be anything, and is not remembered.
        host.call(() => engine.checkFreshness(null, Date.now()));
        this.#force(host, engine);
      } catch (error) {
        host.call(() => engine.free());
        throw error;
      }
      this.serial = engine.serial;
      return { engine, bytes: fetched.bytes };
    } catch (error) {
      this.refused = error;
      throw error;
    }
  }

  #force(host, engine) {
    if (!this.campaign) return;
    if (host.call(() => engine.force(this.campaign, this.variant))) return;
    const known = host.call(() => engine.campaign(this.campaign)) !== undefined;
    this.note = known ? `campaign ${this.campaign} has no variant ${this.variant} in this draft` : `no campaign ${this.campaign} in this draft`;
    this.campaign = null;
    this.variant = null;
  }

  /** After a decision: says so in the marker when the forced campaign could not show (consent, nothing to show). */
  decided(decision) {
    if (!this.campaign || this.refused) return;
    const shown = decision.placements.some((p) => p.campaign === this.campaign);
    this.note = shown ? null : `campaign ${this.campaign} is not shown (consent, or nothing to show)`;
    this.show();
  }

  /** Shows (or updates) the fixed marker: "perso preview · serial N", what is forced, a link out. */
  show() {
    const doc = this.win.document;
    if (!this.marker) {
      this.marker = doc.createElement("perso-preview");
      const root = this.marker.attachShadow({ mode: "open" });
      root.adoptedStyleSheets = [markerSheet()];
      (doc.body ?? doc.documentElement).append(this.marker);
    }
    const parts = this.refused
      ? [`perso preview refused: ${refusalReason(this.refused)} (${this.refused.code ?? "error"})`, "the published site is shown"]
      : [`perso preview · serial ${this.serial}`, this.campaign && `campaign ${this.campaign}`, this.variant && `variant ${this.variant}`, this.note];
    const box = doc.createElement("div");
    box.className = this.refused ? "marker refused" : "marker";
    box.setAttribute("role", "status");
    box.setAttribute("part", "marker");
    const text = doc.createElement("span");
    text.textContent = parts.filter(Boolean).join(" · ");
    const leave = doc.createElement("a");
    leave.href = exitHref(this.win.location.href);
    leave.textContent = "Leave preview";
    box.append(text, " ", leave);
    this.marker.shadowRoot.replaceChildren(box);
  }
}

let sheet = null;
function markerSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(`:host { all: initial; }
.marker { position: fixed; left: 12px; top: 12px; z-index: 2147483647; max-width: calc(100vw - 24px);
  padding: 8px 12px; border-radius: 8px; background: #1d1d1f; color: #fff; box-shadow: 0 4px 16px rgba(0,0,0,.3);
  font: 600 13px/1.4 system-ui, sans-serif; }
.marker.refused { background: #8a1c1c; }
.marker a { color: #9cf; margin-left: 8px; }
.marker.refused a { color: #fff; }`);
  }
  return sheet;
}
