import { useCallback, useState } from "react";
import type { NodeChange } from "@xyflow/react";

export type Measured = Record<string, { width: number; height: number }>;

/**
 * Node sizes reported by React Flow. The canvases derive their nodes from documents on every render, and
 * React Flow keeps a node hidden until the node object it is given carries `measured`: without this the
 * nodes stay invisible (the "empty canvas" bug) and fitView has nothing to fit.
 */
export function useMeasured(): [Measured, (changes: NodeChange[]) => void] {
  const [measured, setMeasured] = useState<Measured>({});
  const onChanges = useCallback((changes: NodeChange[]) => {
    const sized = changes.filter((c) => c.type === "dimensions" && c.dimensions);
    if (!sized.length) return;
    setMeasured((m) => {
      const next = { ...m };
      for (const c of sized) if (c.type === "dimensions" && c.dimensions) next[c.id] = c.dimensions;
      return next;
    });
  }, []);
  return [measured, onChanges];
}
