// perso-edge/handler: the worker's request flow, for an entry of your own (e.g. with
// the bundle shipped as text modules, docs/edge-deploy.md §4).
import type { PersoWorker } from "./env";

export type { PersoEnv, PersoExecutionContext, PersoWorker } from "./env";

export interface HandlerOptions {
  /** The clock (ms since the epoch) for this request; defaults to Date.now(). */
  now?: (request: Request) => number;
  /** A new visitor's random id; defaults to crypto.randomUUID(). */
  randomId?: () => string;
}

/** The path prefix of the worker's own endpoints ("/.perso/"). */
export const ACTION_PATH: string;

export function createHandler(options?: HandlerOptions): PersoWorker;
