// Types of perso's OpenFeature web provider (`import { PersoProvider } from "perso/openfeature"`).
import type { Provider, EvaluationContext, ResolutionDetails, JsonValue, OpenFeatureEventEmitter } from "@openfeature/web-sdk";
import type { Perso, StartOptions, Decision } from "./perso.js";

/** An engine from perso's host kit (js/src/kit): decides a context for a visitor. */
export interface PersoEngineLike {
  decide(context: Record<string, unknown>, visitor: unknown, nowMs: number): Decision;
}

export type PersoProviderOptions =
  /** Decisions of the browser runtime on this page (given, the page's window.perso, or started with `start`). */
  | { perso?: Perso; start?: StartOptions }
  /** Decisions of an engine: the evaluation context is perso's context (Node, server rendering, tests). */
  | { engine: PersoEngineLike; visitor: unknown; now?: () => number };

/** Placement decisions as flags: object = the action, variant = campaign (or campaign/variant), reason. */
export class PersoProvider implements Provider {
  constructor(options?: PersoProviderOptions);
  readonly metadata: { readonly name: "perso" };
  readonly runsOn: "client";
  readonly hooks: [];
  readonly events: OpenFeatureEventEmitter;
  initialize(context?: EvaluationContext): Promise<void>;
  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): void;
  onClose(): Promise<void>;
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean>;
  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T>;
}
