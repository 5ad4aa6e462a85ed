import { useEffect, useMemo, useState } from "react";
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import dagre from "@dagrejs/dagre";
import { useMeasured } from "../design/useMeasured";

/** A step's status in a workflow run: live from the run's `steps`, final from its result's `steps` (both free
 * objects in the run record). */
export interface StepStatus {
  name: string;
  kind: string;
  status: string; // pending | running | done | failed | cached | skipped
  result?: Record<string, unknown> | null;
  error?: string | null;
  started_at?: number;  // wall-clock seconds when it started (live events)
  fraction?: number;    // a training step's share done
  epoch?: number;
  epochs?: number;
  seconds?: number;     // how long it took, once finished
}

/** "4 s", "1 min 05 s": a step's elapsed or total time. */
export function fmtElapsed(s: number): string {
  const t = Math.max(0, Math.floor(s));
  return t < 60 ? `${t} s` : `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, "0")} s`;
}

/** Seconds since `startedAt` (wall clock), ticking once a second while `on`. */
function useElapsed(startedAt: number | undefined, on: boolean): number | null {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    if (!on) return;
    setNow(Date.now() / 1000);
    const t = window.setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => window.clearInterval(t);
  }, [on]);
  return startedAt === undefined ? null : now - startedAt;
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
  const s = data.status;
  const st = s?.status ?? "pending";
  const running = st === "running";
  const elapsed = useElapsed(s?.started_at, running);
  // below 1 % (the first batch) the bar stays indeterminate rather than reading "0 %"
  const fraction = running && typeof s?.fraction === "number" && s.fraction >= 0.01 ? s.fraction : null;
  return (
    <div className={`gnode step-node ${st === "failed" ? "has-issue" : ""}`} data-testid={`step-${name}`}>
      <Handle type="target" position={Position.Left} />
      <div className="gnode-title"><span>{name}</span><span className={`badge ${st}`}>{st}</span></div>
      <div className="gnode-type">{String(data.step.kind)}</div>
      {running && (
        <div className="step-progress" data-testid={`step-progress-${name}`}>
          <div className={`progress ${fraction === null ? "indeterminate" : ""}`} role="progressbar"
               aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)} aria-valuemin={0} aria-valuemax={100}>
            <div style={{ width: `${Math.round((fraction ?? 0) * 100)}%` }} />
          </div>
          <span className="gnode-meta">
            {[fraction !== null && `${Math.round(fraction * 100)} %`, s?.epoch !== undefined && s.epochs && `epoch ${s.epoch}/${s.epochs}`,
              elapsed !== null && fmtElapsed(elapsed)].filter(Boolean).join(" · ")}
          </span>
        </div>
      )}
      {!running && typeof s?.seconds === "number" && st !== "pending" && (
        <div className="gnode-meta" data-testid={`step-time-${name}`}>{st === "cached" ? "from cache" : `took ${fmtElapsed(s.seconds)}`}</div>
      )}
      {s?.error && <div className="gnode-issue" title={s.error}>{s.error}</div>}
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
  // Nodes are rebuilt from the statuses on every update: without their measured sizes React Flow hides them
  // (the graph went blank after "Run all" until a reload).
  const [measured, onMeasured] = useMeasured();
  const { nodes, edges } = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 50 });
    g.setDefaultEdgeLabel(() => ({}));
    const names = steps.map((s) => String(s.name));
    names.forEach((n) => g.setNode(n, { width: 200, height: 110 }));
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
      id: String(s.name), type: "step", measured: measured[String(s.name)], position: { x: g.node(String(s.name)).x - 100, y: g.node(String(s.name)).y - 55 },
      data: { step: s, status: statuses.find((x) => x.name === s.name), onRun, onOpen, busy },
    }));
    return { nodes, edges };
  }, [steps, statuses, busy, onRun, onOpen, measured]);
  return (
    <div className="card" style={{ height: 300, padding: 0 }} aria-label="Workflow graph">
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} nodesConnectable={false} onNodesChange={onMeasured} fitView fitViewOptions={{ maxZoom: 1.2 }} proOptions={{ hideAttribution: true }}>
        <Background gap={20} /><Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
