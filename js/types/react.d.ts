// Types of perso's React bindings (`import { PersoProvider, usePlacement, PersoSlot } from "perso/react"`).
import type { ReactNode, ReactElement, ElementType } from "react";
import type { StartOptions, Perso, Placed, Action } from "./perso.js";

export interface PersoProviderProps {
  /** start()'s options; omit when the script tag already started perso on the page. */
  options?: StartOptions;
  /** Called with the API once perso has started. */
  onReady?: (perso: Perso) => void;
  children?: ReactNode;
}
/** Starts perso once per page and provides its decisions to usePlacement and PersoSlot. */
export function PersoProvider(props: PersoProviderProps): ReactElement;

export interface PlacementState {
  /** False until the first decision: always on the server and while hydrating. */
  ready: boolean;
  /** The decided placement, or null when nothing is shown there. */
  placed: Placed | null;
  campaign: string | null;
  variant: string | null;
  action: Action | null;
  /** The shopper-facing "why am I seeing this" text. */
  why: string | null;
}
/** What perso decided for a placement (re-renders when perso decides again). */
export function usePlacement(placement: string): PlacementState;

export type PersoSlotProps = {
  placement: string;
  /** Draw the decision with React; without it, perso draws it in the slot's shadow root. */
  render?: (placed: Placed) => ReactNode;
  /** Hidden until decided (with perso's slots.css; at most 1 s). */
  wait?: boolean;
  /** The element to render (default "div"). */
  as?: ElementType;
  /** The default content, shown when nothing is decided. */
  children?: ReactNode;
} & Record<string, unknown>;
/** The element for a placement (`data-perso-slot`), hydration- and edge-safe. */
export function PersoSlot(props: PersoSlotProps): ReactElement;

/** perso's API once started (null before, and on the server). */
export function usePerso(): Perso | null;
