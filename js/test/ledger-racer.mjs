// A child process of offers.test.mjs: opens the demo's ledger file on its own
// connection and tries, `tries` times, to redeem one key. Reports how many won.
import { Ledger } from "../demo/checkout.mjs";

const [file, key, who, tries] = process.argv.slice(2);
const ledger = new Ledger(file);
let placed = 0;
for (let i = 0; i < Number(tries); i++) {
  const order = { id: `RACE-${who}-${i}-${process.pid}`, session: null, customer_id: null, email: null, body: {}, created_ms: Date.now() };
  if (ledger.place(order, [{ key, campaign: "race", jti: null }]).ok) placed++;
}
ledger.close();
process.send({ who, placed }, () => process.exit(0));
