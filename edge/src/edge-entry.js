// perso edge worker: the module worker's entry (deploy: docs/edge-deploy.md).
import { createHandler } from "./handler.js";
import { withVouchers } from "./vouch.js";

// Landing requests get the edge's voucher of what it saw (docs/offers.md).
export default withVouchers(createHandler());
