import { useCallback, useState } from "react";
import * as h from "./history";

type Update<T> = T | ((prev: T) => T);
const apply = <T>(f: Update<T>, prev: T): T => (typeof f === "function" ? (f as (p: T) => T)(prev) : f);

/**
 * Undo/redo over an immutable value. `set` records a step (with a group, the keystrokes of one field edit are
 * one step until `seal`); `replace` changes the present without one (dragging: `checkpoint` on drag start,
 * `replace` per frame).
 */
export function useHistory<T>(initial: T) {
  const [t, setT] = useState<h.Timeline<T>>(() => h.start(initial));

  const checkpoint = useCallback(() => setT(h.checkpoint), []);
  const replace = useCallback((f: Update<T>) => setT((s) => h.replace(s, apply(f, s.present))), []);
  const set = useCallback((f: Update<T>, group?: string) => setT((s) => h.record(s, apply(f, s.present), group)), []);
  const seal = useCallback(() => setT(h.seal), []);
  const reset = useCallback((v: T) => setT(h.start(v)), []);
  const undo = useCallback(() => setT(h.undo), []);
  const redo = useCallback(() => setT(h.redo), []);

  return {
    state: t.present, set, seal, replace, checkpoint, reset, undo, redo, steps: t.past.length,
    canUndo: t.past.length > 0, canRedo: t.future.length > 0,
  };
}
