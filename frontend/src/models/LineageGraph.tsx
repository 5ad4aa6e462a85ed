import { useMemo } from "react";
import { Background, ReactFlow, type Edge, type Node } from "@xyflow/react";
import dagre from "@dagrejs/dagre";
import type { Lineage } from "../api/types";

/** Models and foundations as a left-to-right graph of where each came from (train, slice, graft). */
export default function LineageGraph({ lineage, current, onOpen }: { lineage: Lineage; current: string; onOpen: (id: string) => void }) {
  const { nodes, edges } = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 20, ranksep: 60 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of lineage.nodes) g.setNode(n.id, { width: 170, height: 50 });
    for (const e of lineage.edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
    dagre.layout(g);
    const nodes: Node[] = lineage.nodes.map((n) => ({
      id: n.id, position: { x: g.node(n.id).x - 85, y: g.node(n.id).y - 25 },
      data: { label: `${n.kind === "foundation" ? "◆ " : ""}${n.name ?? n.id}${typeof n.accuracy === "number" ? ` · ${(n.accuracy * 100).toFixed(1)}%` : ""}` },
      className: `gnode ${n.id === current ? "selected" : ""} ${n.kind === "foundation" ? "foundation-node" : ""}`,
      style: { width: 170 },
    }));
    const edges: Edge[] = lineage.edges.map((e, i) => ({ id: `l${i}`, source: e.source, target: e.target, label: e.relation }));
    return { nodes, edges };
  }, [lineage, current]);
  return (
    <div style={{ height: 220 }} className="card" aria-label="Lineage graph">
      <ReactFlow nodes={nodes} edges={edges} fitView nodesDraggable={false} nodesConnectable={false}
                 onNodeClick={(_, n) => onOpen(n.id)} proOptions={{ hideAttribution: true }}>
        <Background gap={20} />
      </ReactFlow>
    </div>
  );
}
