import { useCallback, useState } from "react";

interface Timeline<T> {
  past: T[];
  present: T;
  future: T[];
}

const LIMIT = 200;

/**
 * Undo/redo over an immutable value. `set` records a step; `replace` changes the present without one
 * (used while dragging: `checkpoint` on drag start, `replace` per frame).
 */
export function useHistory<T>(initial: T) {
  const [t, setT] = useState<Timeline<T>>({ past: [], present: initial, future: [] });

  const checkpoint = useCallback(
    () => setT((s) => ({ past: [...s.past, s.present].slice(-LIMIT), present: s.present, future: [] })), []);
  const replace = useCallback(
    (f: T | ((prev: T) => T)) =>
      setT((s) => ({ ...s, present: typeof f === "function" ? (f as (p: T) => T)(s.present) : f })), []);
  const set = useCallback(
    (f: T | ((prev: T) => T)) =>
      setT((s) => {
        const next = typeof f === "function" ? (f as (p: T) => T)(s.present) : f;
        if (next === s.present) return s;
        return { past: [...s.past, s.present].slice(-LIMIT), present: next, future: [] };
      }), []);
  const reset = useCallback((v: T) => setT({ past: [], present: v, future: [] }), []);
  const undo = useCallback(
    () => setT((s) => s.past.length === 0 ? s
      : { past: s.past.slice(0, -1), present: s.past[s.past.length - 1], future: [s.present, ...s.future] }), []);
  const redo = useCallback(
    () => setT((s) => s.future.length === 0 ? s
      : { past: [...s.past, s.present], present: s.future[0], future: s.future.slice(1) }), []);

  return {
    state: t.present, set, replace, checkpoint, reset, undo, redo,
    canUndo: t.past.length > 0, canRedo: t.future.length > 0,
  };
}
