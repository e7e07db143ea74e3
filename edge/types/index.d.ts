// perso-edge: the module worker (src/edge-entry.js), ready for wrangler.
import type { PersoWorker } from "./env";

export type { PersoEnv, PersoExecutionContext, PersoWorker } from "./env";

declare const worker: PersoWorker;
export default worker;
