// Compiled (not run) by types.test.mjs: a store's TypeScript using the runtime's types.
import { start, type Perso, type PersoErrorDetail } from "perso";

async function main(): Promise<void> {
  const perso: Perso = await start({ bundle: "/perso/bundle.json", key: "AAAA", consent: "required", onChat: (d) => console.log(d.topic) });
  perso.setCart([{ sku: "HP-100", price: 199, qty: 1 }, { item_id: "EB-300", quantity: 2 }]);
  perso.setCustomer({ known: true, first_name: "Ada", ltv_band: "high", rfm: { score: 14 } });
  perso.consent(true);
  const decision = perso.decision();
  if (decision) for (const placed of decision.placements) console.log(placed.placement, placed.action.kind);
  document.addEventListener("perso:error", (event) => {
    const detail: PersoErrorDetail = event.detail;
    console.log(detail.code);
  });
  document.addEventListener("perso:impression", (event) => console.log(event.detail.campaign, event.detail.variant));
}
main();
