// Rewriting the origin's HTML with the runtime's HTMLRewriter (lol-html): marks the
// root element and fills, for each decided placement, the first slot that can show it
// (contract: docs/edge-deploy.md §1.1).
//
// The page is rewritten whole, in memory (page.js holds it, within a byte cap): the
// rewriter can fail part-way (a tag it cannot parse, a construct it calls ambiguous,
// its memory limit), and a response already streaming cannot be taken back. Rewriting
// from one complete buffer also means a tag split across network chunks never has to
// be buffered by the rewriter, which is where its memory limit used to empty the body.
//
// Only rendered, visible-capable slots count: a slot in inert or fallback content
// (inside <template>, <canvas>, <video>, ...), an element that cannot hold markup (void
// elements, <textarea>, <title>, <select>, table rows, ...) or one inside a slot that
// was just filled is skipped, and the placement goes to the next slot. Impressions are
// recorded afterwards, for the placements actually filled.

/** Elements whose content is not shown, or not shown as our markup would need. */
const NOT_FILLABLE = new Set([
  // void: no content at all
  "area", "base", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
  // raw text and escapable raw text: markup would show as text
  "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp",
  // restricted content models: the parser drops or moves a <div> put there
  "colgroup", "datalist", "optgroup", "option", "select", "table", "tbody", "tfoot", "thead", "tr",
  // the document's structure, inert or fallback content, foreign content
  "body", "frameset", "head", "html", "template", "canvas", "audio", "video", "object", "math", "svg",
]);
/** Ancestors whose content is never rendered as such (inert or fallback content). */
const INERT_ANCESTORS = ["template", "canvas", "audio", "video", "object", "select", "datalist"];

/** Markup with every non-ASCII character as a numeric reference: the same in any ASCII-compatible page. */
export function asciiHtml(html) {
  return html.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`);
}

/**
 * Rewrites the complete page `bytes` (in `encoding`, from charset.js). `rendered`:
 * Map<placement, { placed, html }>. Resolves to `{ bytes, filled }` where `filled` is
 * the list of placed decisions that got a slot; rejects when the rewriter fails.
 */
export async function rewritePage(bytes, encoding, serial, rendered) {
  const filled = new Map();
  let inInertContent = false;
  const rewriter = new HTMLRewriter()
    .on("html", {
      element(element) {
        element.setAttribute("data-perso-edge", String(serial));
      },
    })
    // Runs just before the handler below for the same element (handlers run in the
    // order they were added).
    .on(INERT_ANCESTORS.map((tag) => `${tag} [data-perso-slot]`).join(", "), {
      element() {
        inInertContent = true;
      },
    })
    .on("[data-perso-slot]", {
      element(element) {
        const inert = inInertContent;
        inInertContent = false;
        const placement = element.getAttribute("data-perso-slot");
        const entry = rendered.get(placement);
        if (!entry || filled.has(placement) || inert || element.removed || NOT_FILLABLE.has(element.tagName.toLowerCase())) return;
        filled.set(placement, entry.placed);
        element.setInnerContent(asciiHtml(entry.html), { html: true });
        element.setAttribute("data-perso-rendered", entry.placed.campaign);
        // Decided here: the anti-flicker rule (perso-slots.css hides a data-perso-wait
        // slot until it is decided) must not hide what the edge filled until the
        // browser runtime runs, or for a second without it.
        element.setAttribute("data-perso-decided", "");
        if (entry.placed.variant) element.setAttribute("data-perso-variant", entry.placed.variant);
      },
    });
  const input = new Response(bytes, { headers: { "content-type": `text/html; charset=${encoding}` } });
  const output = new Uint8Array(await rewriter.transform(input).arrayBuffer());
  return { bytes: output, filled: [...filled.values()] };
}
