import { useCallback, useState } from "react";
import * as h from "./history";

type Update<T> = T | ((prev: T) => T);
const apply = <T>(f: Update<T>, prev: T): T => (typeof f === "function" ? (f as (p: T) => T)(prev) : f);

/**
 * Undo/redo over an immutable value. `set` records a step; `replace` changes the present without one
 * (used while dragging: `checkpoint` on drag start, `replace` per frame).
 */
export function useHistory<T>(initial: T) {
  const [t, setT] = useState<h.Timeline<T>>(() => h.start(initial));

  const checkpoint = useCallback(() => setT(h.checkpoint), []);
  const replace = useCallback((f: Update<T>) => setT((s) => h.replace(s, apply(f, s.present))), []);
  const set = useCallback((f: Update<T>) => setT((s) => h.record(s, apply(f, s.present))), []);
  const reset = useCallback((v: T) => setT(h.start(v)), []);
  const undo = useCallback(() => setT(h.undo), []);
  const redo = useCallback(() => setT(h.redo), []);

  return {
    state: t.present, set, replace, checkpoint, reset, undo, redo,
    canUndo: t.past.length > 0, canRedo: t.future.length > 0,
  };
}
