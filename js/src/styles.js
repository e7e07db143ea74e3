// The runtime's styles, applied inside Shadow DOM roots as a constructed stylesheet
// (allowed under a strict `style-src 'self'`, unlike <style> elements). Stores theme
// perso with CSS custom properties set on any ancestor, e.g.
//   :root { --perso-accent: #0a6; --perso-font: "Inter", sans-serif; }

export const PERSO_CSS = `
:host { all: initial; display: block; font-family: var(--perso-font, system-ui, sans-serif);
  color: var(--perso-fg, #1d1d1f); font-size: var(--perso-font-size, 16px); line-height: 1.45; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
a { color: var(--perso-link, var(--perso-accent, #0b57d0)); }
button { font: inherit; cursor: pointer; }
.card { background: var(--perso-bg, #fff); border-radius: var(--perso-radius, 12px); }
.banner { padding: 28px 32px; background: var(--perso-banner-bg, linear-gradient(120deg, #eef4ff, #f6f0ff));
  border-radius: var(--perso-radius, 12px); display: grid; gap: 8px; }
.banner h2 { margin: 0; font-size: 1.7em; line-height: 1.2; }
.banner p { margin: 0; max-width: 60ch; }
.banner img { max-width: 100%; border-radius: var(--perso-radius, 12px); }
.cta { display: inline-block; justify-self: start; margin-top: 6px; padding: 10px 18px; border-radius: 999px;
  background: var(--perso-accent, #0b57d0); color: var(--perso-accent-fg, #fff); text-decoration: none; font-weight: 600; }
.welcome { padding: 10px 0; font-size: 1.1em; font-weight: 600; }
.strip h2 { font-size: 1.2em; margin: 0 0 10px; }
.strip ul { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 14px; }
.strip li a { display: grid; gap: 4px; padding: 12px; border: 1px solid var(--perso-border, #e3e3e8);
  border-radius: var(--perso-radius, 12px); text-decoration: none; color: inherit; background: var(--perso-bg, #fff); }
.strip img { width: 100%; aspect-ratio: 4 / 3; object-fit: contain; }
.strip .price { font-weight: 600; }
.why { margin-top: 6px; font-size: 0.78em; color: var(--perso-muted, #6e6e73); }
.why summary { cursor: pointer; list-style: none; text-decoration: underline; width: max-content; }
.why summary::-webkit-details-marker { display: none; }
.why p { margin: 4px 0 0; max-width: 52ch; }
.layer { position: fixed; z-index: var(--perso-z, 2147483000); }
.toast { right: 20px; bottom: 20px; width: min(360px, calc(100vw - 40px)); padding: 18px 20px;
  background: var(--perso-bg, #fff); border-radius: var(--perso-radius, 12px);
  box-shadow: var(--perso-shadow, 0 12px 40px rgba(0,0,0,.18)); }
.backdrop { inset: 0; background: rgba(0,0,0,.45); display: grid; place-items: center; }
.modal { position: relative; width: min(460px, calc(100vw - 32px)); max-height: calc(100vh - 32px); overflow: auto;
  padding: 24px 26px; background: var(--perso-bg, #fff); border-radius: var(--perso-radius, 12px);
  box-shadow: var(--perso-shadow, 0 12px 40px rgba(0,0,0,.25)); }
.popup h2 { margin: 0 28px 6px 0; font-size: 1.25em; }
.popup p { margin: 0 0 8px; }
.close { position: absolute; top: 10px; right: 10px; width: 32px; height: 32px; border: 0; border-radius: 50%;
  background: transparent; font-size: 20px; line-height: 1; color: inherit; }
.close:hover, .close:focus-visible { background: rgba(0,0,0,.08); }
.toast { position: fixed; }
.code { display: inline-block; margin: 4px 0 8px; padding: 6px 12px; border: 2px dashed var(--perso-accent, #0b57d0);
  border-radius: 8px; font-family: ui-monospace, monospace; font-weight: 700; letter-spacing: .05em; }
.terms { font-size: .8em; color: var(--perso-muted, #6e6e73); }
fieldset { border: 0; padding: 0; margin: 8px 0 14px; }
legend { font-weight: 600; margin-bottom: 6px; }
label.option { display: flex; align-items: center; gap: 8px; padding: 4px 0; }
.primary { padding: 10px 18px; border: 0; border-radius: 999px; background: var(--perso-accent, #0b57d0);
  color: var(--perso-accent-fg, #fff); font-weight: 600; }
:focus-visible { outline: 3px solid var(--perso-focus, #0b57d0); outline-offset: 2px; }
@media (prefers-reduced-motion: no-preference) { .toast, .modal { animation: perso-in .18s ease-out; } }
@keyframes perso-in { from { opacity: 0; transform: translateY(8px); } }
.debug { position: fixed; left: 10px; bottom: 10px; z-index: 2147483001; width: min(560px, calc(100vw - 20px));
  max-height: 60vh; overflow: auto; padding: 12px; background: #111; color: #eee; font: 12px/1.4 ui-monospace, monospace;
  border-radius: 8px; opacity: .95; }
.debug h2 { font-size: 13px; margin: 8px 0 4px; color: #9cf; }
.debug pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
`;

let sheet = null;

/** Adopts perso's stylesheet into `root` (a ShadowRoot). */
export function adoptStyles(root) {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(PERSO_CSS);
  }
  root.adoptedStyleSheets = [sheet];
}
