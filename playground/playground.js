// The playground drives the engine exactly as a host would, through the host kit:
// fetch the compiled bundle, load it, keep a visitor, decide; explain comes from the
// engine's full build (the same wasm plus explain). It renders everything as text.
import init, * as glue from "./engine/perso.js";
import { createKit } from "./kit/index.js";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const cart = (...items) => ({ items });
const HP = { sku: "HP-100", category: "audio", price: 199, qty: 1 };
const SCENARIOS = {
  affiliate: {
    now: T0 + 20_000,
    state: (v, engine) => engine.pageView(v, { referrer_host: "gadgets.com" }, T0),
    context: { page: { path: "/", type: "home", referrer_host: "gadgets.com" }, cart: cart(), consent: { personalization: true } },
  },
  anonymous: {
    now: T0 + 1_000,
    state: (v, engine) => engine.pageView(v, {}, T0),
    context: { page: { path: "/", type: "home" }, cart: cart(), consent: { personalization: true } },
  },
  vip: {
    now: T0 + 40_000,
    // The free-shipping offer was shown 38 s ago, so the chat may interrupt now.
    state: (v, engine) => {
      engine.pageView(v, {}, T0);
      engine.recordImpression(v, "hv-free-shipping", T0 + 2_000);
    },
    context: {
      page: { path: "/cart", type: "cart" }, cart: cart(HP),
      customer: { known: true, first_name: "Ada", ltv_band: "high", rfm: { r: 5, f: 4, m: 5, score: 14 } },
      consent: { personalization: true },
    },
  },
};

const $ = (id) => document.getElementById(id);
const text = (tag, content, className) => {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
};

function describe(action) {
  switch (action.kind) {
    case "banner": return `banner: ${action.title}`;
    case "offer": return `offer (${action.display}): ${action.title}${action.code ? ` — code ${action.code}` : ""}`;
    case "recommend": return `recommend: ${action.title} — ${action.items.map((i) => i.name).join(", ")}`;
    case "welcome": return `welcome: ${action.text}`;
    case "register": return `registration prompt: ${action.title}`;
    case "chat": return `chat trigger: ${action.message ?? action.topic ?? ""}`;
    default: return action.kind;
  }
}

function reason(verdict) {
  if (verdict.outcome === "won") return verdict.variant ? `variant ${verdict.variant}` : "";
  if (verdict.outcome === "lost") return `lost to ${verdict.to}`;
  const r = verdict.reason;
  if (r.failed) return `${r.kind}${r.segment ? ` ${r.segment}` : ""}: ${r.failed.path} = ${JSON.stringify(r.failed.rule)}`;
  return r.detail ? `${r.kind}: ${r.detail}` : r.kind;
}

async function main() {
  const kit = createKit(glue, await init());
  const bytes = new Uint8Array(await (await fetch("/perso/bundle.bin")).arrayBuffer());
  const engine = kit.loadBundle(bytes);
  const tool = glue.Engine.load(bytes);
  $("meta").textContent = `bundle serial ${engine.serial}; reads ${engine.references().length} context paths: ${engine.references().join(", ")}`;

  const load = () => {
    $("context").value = JSON.stringify(SCENARIOS[$("scenario").value].context, null, 2);
    run();
  };
  const run = () => {
    const scenario = SCENARIOS[$("scenario").value];
    $("error").hidden = true;
    try {
      const context = JSON.parse($("context").value);
      const visitor = kit.freshVisitor("playground-visitor", T0);
      scenario.state(visitor, engine);
      const decision = engine.decide(context, visitor, scenario.now);
      const placements = $("placements");
      placements.replaceChildren(...(decision.placements.length ? decision.placements.map((p) => {
        const box = text("div", "", "placement");
        box.append(text("b", p.placement), document.createTextNode(` ← ${p.campaign}: ${describe(p.action)}`), text("small", `trigger ${p.trigger.on}; why: ${p.why}`));
        return box;
      }) : [text("p", "Nothing to show: every placement keeps its default content.")]));
      const same = glue.Visitor.fromBytes(visitor.toBytes());
      const explanation = JSON.parse(tool.explainJson(same, JSON.stringify(context), scenario.now));
      same.free();
      visitor.free();
      const rows = explanation.campaigns.map((v) => {
        const row = document.createElement("tr");
        row.append(text("td", v.campaign), text("td", v.placement), text("td", String(v.priority)), text("td", v.outcome, v.outcome), text("td", reason(v)));
        return row;
      });
      $("explain").tBodies[0].replaceChildren(...rows);
    } catch (error) {
      $("error").textContent = `${error.code ?? "error"}: ${error.message}`;
      $("error").hidden = false;
    }
  };
  $("scenario").addEventListener("change", load);
  $("decide").addEventListener("click", run);
  load();
}

main().catch((error) => {
  $("error").textContent = `The engine could not start: ${error.message}`;
  $("error").hidden = false;
});
