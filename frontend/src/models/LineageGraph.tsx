import { useMemo } from "react";
import { Background, Position, ReactFlow, type Edge, type Node } from "@xyflow/react";
import dagre from "@dagrejs/dagre";
import type { LineageRecord } from "../api/client";

type Check = LineageRecord["foundation_checks"][number];

/** "unchanged" / "changed" / "unknown" for a Foundation node: did a frozen foundation keep its weights? */
export function CheckBadge({ check }: { check: Check }) {
  const [cls, text] = check.unchanged === null ? ["", "unknown"] : check.unchanged ? ["ok", "unchanged"] : ["failed", "changed"];
  const why = check.frozen ? (check.unchanged === false ? " although frozen" : "") : " (trainable)";
  return <span className={`badge ${cls}`} title={`foundation ${check.foundation_id ?? "?"} in node ${check.node}: weights ${text}${why}`}>
    ◆ {check.node}: {text}</span>;
}

/** Models and foundations as a left-to-right graph of where each came from (sliced, grafted), with each frozen
 *  foundation's check on the model that grafted it. */
export default function LineageGraph({ lineage, current, onOpen }: { lineage: LineageRecord; current: string; onOpen: (id: string) => void }) {
  const { nodes, edges } = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 20, ranksep: 70 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of lineage.nodes) g.setNode(n.id, { width: 200, height: 64 });
    for (const e of lineage.edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
    dagre.layout(g);
    const nodes: Node[] = lineage.nodes.map((n) => {
      const checks = lineage.foundation_checks.filter((c) => c.descendant === n.id);
      return {
        id: n.id, position: { x: g.node(n.id).x - 100, y: g.node(n.id).y - 32 },
        sourcePosition: Position.Right, targetPosition: Position.Left,
        data: { label: (
          <div data-testid={`lineage-${n.id}`}>
            <div className="gnode-title"><span>{n.kind === "foundation" ? "◆ " : ""}{n.name}</span>
              {n.kind !== "foundation" && typeof n.accuracy === "number" &&
                <span className="muted" title={n.accuracy_source === "test" ? "test accuracy" : "training accuracy (epoch mean): not evaluated yet"}>
                  {(n.accuracy * 100).toFixed(1)}% {n.accuracy_source === "test" ? "test" : n.accuracy_source === "validation" ? "val" : "train"}</span>}</div>
            <div className="gnode-meta">{n.id}</div>
            {(n.heads ?? []).length > 1 && <div className="gnode-meta" data-testid={`heads-${n.id}`}
              title={(n.heads ?? []).map((h) => `${h.name}: output ${h.output} on ${h.data ?? "?"}`).join("\n")}>
              heads: {(n.heads ?? []).map((h) => h.name).join(", ")}</div>}
            {checks.map((c) => <div key={c.node}><CheckBadge check={c} /></div>)}
          </div>) },
        className: `gnode ${n.id === current ? "selected" : ""} ${n.kind === "foundation" ? "foundation-node" : ""}`,
        style: { width: 200, textAlign: "left" },
      };
    });
    const edges: Edge[] = lineage.edges.map((e, i) => ({ id: `l${i}`, source: e.source, target: e.target, label: e.relation }));
    return { nodes, edges };
  }, [lineage, current]);
  return (
    <div style={{ height: 240, padding: 0 }} className="card" aria-label="Lineage graph">
      <ReactFlow nodes={nodes} edges={edges} fitView fitViewOptions={{ maxZoom: 1 }} nodesDraggable={false} nodesConnectable={false}
                 zoomOnScroll={false} preventScrolling={false}
                 onNodeClick={(_, n) => onOpen(n.id)} proOptions={{ hideAttribution: true }}>
        <Background gap={20} />
      </ReactFlow>
    </div>
  );
}
