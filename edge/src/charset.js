// Which character encoding a page is in, decided the way a browser decides it (WHATWG
// HTML: byte order mark, then the Content-Type charset, then `<meta charset>` in the
// first 1024 bytes), and whether the rewriter can handle it.
//
// The runtime's rewriter (lol-html) works on ASCII-compatible encodings only: it throws
// on UTF-16, ISO-2022-JP and labels it does not know, which used to turn the page into
// an HTTP 500. Such pages now pass through unchanged. Every other encoding is safe to
// rewrite because the worker inserts ASCII only (markup with non-ASCII characters as
// numeric character references, see rewrite.js): the page's own bytes are never
// re-encoded, and the inserted bytes mean the same in every ASCII-compatible encoding.

import { CHARSET_PRESCAN_BYTES } from "./limits.js";

// WHATWG Encoding Standard labels (https://encoding.spec.whatwg.org/#names-and-labels),
// by encoding. Only the encodings the rewriter can parse are listed; the others follow.
const ASCII_COMPATIBLE = {
  "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
  ibm866: "866 cp866 csibm866 ibm866",
  "iso-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
  "iso-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
  "iso-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
  "iso-8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988",
  "iso-8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
  "iso-8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
  "iso-8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual",
  "iso-8859-8-i": "csiso88598i iso-8859-8-i logical",
  "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
  "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
  "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
  "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
  "iso-8859-16": "iso-8859-16",
  "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
  "koi8-u": "koi8-ru koi8-u",
  macintosh: "csmacintosh mac macintosh x-mac-roman",
  "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
  "windows-1250": "cp1250 windows-1250 x-cp1250",
  "windows-1251": "cp1251 windows-1251 x-cp1251",
  "windows-1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
  "windows-1253": "cp1253 windows-1253 x-cp1253",
  "windows-1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
  "windows-1255": "cp1255 windows-1255 x-cp1255",
  "windows-1256": "cp1256 windows-1256 x-cp1256",
  "windows-1257": "cp1257 windows-1257 x-cp1257",
  "windows-1258": "cp1258 windows-1258 x-cp1258",
  "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
  gbk: "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
  gb18030: "gb18030",
  big5: "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
  "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
  shift_jis: "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
  "euc-kr": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
  "x-user-defined": "x-user-defined",
};
// Not ASCII-compatible: a browser decodes these pages, the rewriter cannot parse them.
const UNSUPPORTED = {
  "utf-16le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
  "utf-16be": "unicodefffe utf-16be",
  "iso-2022-jp": "csiso2022jp iso-2022-jp",
  replacement: "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement",
};

const LABELS = new Map();
for (const [table, supported] of [[ASCII_COMPATIBLE, true], [UNSUPPORTED, false]]) {
  for (const [name, labels] of Object.entries(table)) {
    for (const label of labels.split(" ")) LABELS.set(label, { name, supported });
  }
}

/** `{ name, supported }` for a WHATWG label (case and surrounding whitespace ignored), or null. */
export function encodingForLabel(label) {
  if (typeof label !== "string") return null;
  return LABELS.get(label.trim().toLowerCase()) ?? null;
}

/** The raw `charset` parameter of a Content-Type header, or null. */
export function charsetParameter(contentType) {
  if (!contentType) return null;
  for (const parameter of contentType.split(";").slice(1)) {
    const eq = parameter.indexOf("=");
    if (eq < 0 || parameter.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    let value = parameter.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return null;
}

/**
 * What the Content-Type alone says, before any byte of the body: `{ encoding }` for a
 * label the rewriter handles, `{ unsupported: label }` for one it cannot, or `{}` when
 * the header names no charset (or one no browser knows, which browsers ignore).
 */
export function encodingFromHeader(contentType) {
  const label = charsetParameter(contentType);
  if (label === null) return {};
  const found = encodingForLabel(label);
  if (!found) return { unknown: label };
  return found.supported ? { encoding: found.name } : { unsupported: label };
}

/**
 * The page's encoding, from its first bytes and the header's verdict: a byte order mark
 * wins over everything, then the header, then `<meta charset>` (WHATWG prescan, reduced
 * to what pages use), else UTF-8 (the bytes the worker inserts are ASCII, so a page a
 * browser decodes with its locale's default is still rewritten correctly).
 */
export function pageEncoding(fromHeader, bytes) {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: "utf-8" };
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) return { unsupported: "utf-16 (byte order mark)" };
  if (fromHeader.encoding || fromHeader.unsupported) return fromHeader;
  const label = metaCharset(bytes);
  if (label === null) return { encoding: "utf-8" };
  const found = encodingForLabel(label);
  // The prescan's own rules: a page cannot be UTF-16 by its meta (it would not be
  // readable as ASCII to find it) and x-user-defined there means windows-1252.
  if (found.name === "utf-16le" || found.name === "utf-16be") return { encoding: "utf-8" };
  if (found.name === "x-user-defined") return { encoding: "windows-1252" };
  return found.supported ? { encoding: found.name } : { unsupported: label };
}

/** The first known charset label declared by a `<meta>` in the first 1024 bytes, or null. */
export function metaCharset(bytes) {
  let head = "";
  const end = Math.min(bytes.length, CHARSET_PRESCAN_BYTES);
  for (let i = 0; i < end; i++) head += String.fromCharCode(bytes[i]);
  head = head.replace(/<!--[\s\S]*?(-->|$)/g, "");
  for (const [tag] of head.matchAll(/<meta[\s/][^>]*>?/gi)) {
    const attributes = attributesOf(tag);
    let label = attributes.get("charset") ?? null;
    if (label === null && attributes.get("http-equiv")?.toLowerCase() === "content-type") {
      label = /charset\s*=\s*["']?([^"';\s]+)/i.exec(attributes.get("content") ?? "")?.[1] ?? null;
    }
    if (label !== null && encodingForLabel(label)) return label;
  }
  return null;
}

function attributesOf(tag) {
  const attributes = new Map();
  const pattern = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?/g;
  for (const match of tag.slice(5).matchAll(pattern)) {
    const name = match[1].toLowerCase();
    if (!attributes.has(name)) attributes.set(name, match[2] ?? match[3] ?? match[4] ?? "");
  }
  return attributes;
}
