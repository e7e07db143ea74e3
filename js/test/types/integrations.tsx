// Compiled (not run) by types.test.mjs: a store's TypeScript using perso's integrations.
import { start } from "perso";
import { PersoProvider, PersoSlot, usePlacement, usePerso } from "perso/react";
import { PersoProvider as OpenFeaturePersoProvider } from "perso/openfeature";
import { watchShopifyCart, cartLinesFromShopify } from "perso/shopify";
import { decodeTcString, consentFromTcString, consentFromTcf } from "perso/consent";

function Hero() {
  const { ready, placed, action, campaign } = usePlacement("hero");
  const perso = usePerso();
  if (!ready || !placed || action?.kind !== "banner") return null;
  return <button type="button" onClick={() => perso?.setCart([])}>{action.title} ({campaign})</button>;
}

export function App() {
  return (
    <PersoProvider options={{ bundle: "/perso/bundle.bin", key: "AAAA", consentAdapter: (report) => report(true) }} onReady={(perso) => perso.redecide()}>
      <PersoSlot placement="hero" wait className="hero" render={(placed) => <h2>{placed.campaign}</h2>}>
        <p>Default</p>
      </PersoSlot>
      <PersoSlot placement="cross_sell" as="section" />
      <Hero />
    </PersoProvider>
  );
}

export async function flags(): Promise<void> {
  const provider = new OpenFeaturePersoProvider({ start: { key: "AAAA" } });
  await provider.initialize({});
  const details = provider.resolveObjectEvaluation("hero", {});
  console.log(details.variant, details.reason);
  const perso = await start({ key: "AAAA", consentPlatforms: false });
  perso.consentAdapter((report) => report(null));
  const stop = watchShopifyCart(window, perso, { key: "variant_id" });
  stop();
  console.log(cartLinesFromShopify({ items: [] }).length);
  const decoded = decodeTcString("CQ");
  console.log(decoded?.purposeConsents, consentFromTcString("CQ", { gdprApplies: true }).granted, consentFromTcf({ purposeConsents: [1, 5, 6] }).storage);
}
