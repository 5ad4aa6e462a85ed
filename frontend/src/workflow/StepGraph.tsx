import { useMemo } from "react";
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import dagre from "@dagrejs/dagre";

/** A step's status in a workflow run: live from the run's `steps`, final from its result's `steps` (both free
 * objects in the run record). */
export interface StepStatus {
  name: string;
  kind: string;
  status: string; // pending | running | done | failed | cached | skipped
  result?: Record<string, unknown> | null;
  error?: string | null;
}

export interface StepData extends Record<string, unknown> {
  step: Record<string, unknown>;
  status?: StepStatus;
  onRun: (name: string) => void;
  onOpen: (s: StepStatus) => void;
  busy: boolean;
}

/** Every `{step: NAME}` anywhere inside a step's parameters: the steps it depends on. */
export function stepRefs(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => stepRefs(x, out));
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.step === "string" && Object.keys(o).length === 1) out.add(o.step);
    else Object.values(o).forEach((x) => stepRefs(x, out));
  }
  return out;
}

function StepNode({ data }: NodeProps<Node<StepData>>) {
  const name = String(data.step.name);
  const st = data.status?.status ?? "pending";
  return (
    <div className={`gnode ${st === "failed" ? "has-issue" : ""}`} style={{ minWidth: 170 }} data-testid={`step-${name}`}>
      <Handle type="target" position={Position.Left} />
      <div className="gnode-title"><span>{name}</span><span className={`badge ${st}`}>{st}</span></div>
      <div className="gnode-type">{String(data.step.kind)}</div>
      {data.status?.error && <div className="gnode-issue">{data.status.error}</div>}
      <div style={{ display: "flex", gap: 4, marginTop: 4 }}>
        <button className="small" disabled={data.busy} onClick={() => data.onRun(name)} title={`Run step ${name} (and what it needs)`}>▶ Run</button>
        {data.status?.result && <button className="small" onClick={() => data.onOpen(data.status!)}>Open result</button>}
      </div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
const nodeTypes = { step: StepNode };

export default function StepGraph({ steps, statuses, busy, onRun, onOpen }: {
  steps: Record<string, unknown>[]; statuses: StepStatus[]; busy: boolean;
  onRun: (name: string) => void; onOpen: (s: StepStatus) => void;
}) {
  const { nodes, edges } = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 50 });
    g.setDefaultEdgeLabel(() => ({}));
    const names = steps.map((s) => String(s.name));
    names.forEach((n) => g.setNode(n, { width: 190, height: 90 }));
    const edges: Edge[] = [];
    steps.forEach((s, i) => {
      const refs = stepRefs({ ...s, name: undefined });
      // a step with no references follows the previous one (e.g. training on the imported data set)
      if (refs.size === 0 && i > 0 && s.kind !== "import") refs.add(names[i - 1]);
      for (const r of refs) if (names.includes(r)) {
        g.setEdge(r, names[i]);
        edges.push({ id: `${r}->${names[i]}`, source: r, target: names[i], animated: statuses.find((x) => x.name === names[i])?.status === "running" });
      }
    });
    dagre.layout(g);
    const nodes: Node<StepData>[] = steps.map((s) => ({
      id: String(s.name), type: "step", position: { x: g.node(String(s.name)).x - 95, y: g.node(String(s.name)).y - 45 },
      data: { step: s, status: statuses.find((x) => x.name === s.name), onRun, onOpen, busy },
    }));
    return { nodes, edges };
  }, [steps, statuses, busy, onRun, onOpen]);
  return (
    <div className="card" style={{ height: 300, padding: 0 }} aria-label="Workflow graph">
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} nodesConnectable={false} fitView proOptions={{ hideAttribution: true }}>
        <Background gap={20} /><Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
