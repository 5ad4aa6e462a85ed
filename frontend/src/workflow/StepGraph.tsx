import { useCallback, useEffect, useMemo, useState } from "react";
import {
  Background, Controls, Handle, Position, ReactFlow, useReactFlow, type Connection, type Edge, type Node, type NodeChange, type NodeProps,
} from "@xyflow/react";
import type { Issue } from "../api/client";
import type { Link, Step } from "./document";
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
  step: Step;
  status?: StepStatus;
  issues: Issue[];
  onRun: (name: string) => void;
  onOpen: (s: StepStatus) => void;
  busy: boolean;
  dirty: boolean;
}

/** An issue's field as the step's form names it: `steps.0.train.epochs` is `epochs`. */
export function fieldOf(field: string): string {
  return field.replace(/^steps\.\d+\.(?:(?:train|pretrain|slice|evaluate|view|import_model|import_dataset)\.)?/, "");
}

export const STEP_DND = "application/x-graft-step";
const SIZE = { width: 204, height: 110 };

function StepNode({ data, selected }: NodeProps<Node<StepData>>) {
  const name = data.step.name;
  const s = data.status;
  const st = s?.status ?? "pending";
  const running = st === "running";
  const elapsed = useElapsed(s?.started_at, running);
  // below 1 % (the first batch) the bar stays indeterminate rather than reading "0 %"
  const fraction = running && typeof s?.fraction === "number" && s.fraction >= 0.01 ? s.fraction : null;
  return (
    <div className={["gnode step-node", selected && "selected", (st === "failed" || data.issues.length > 0) && "has-issue"].filter(Boolean).join(" ")}
         data-testid={`step-${name}`}>
      <Handle type="target" position={Position.Left} />
      <div className="gnode-title"><span>{name}</span><span className={`badge ${st}`}>{st}</span></div>
      <div className="gnode-type">{data.step.kind}</div>
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
      {data.issues.length > 0 && (
        <div className="gnode-issue" role="alert" title={data.issues.map((i) => i.message).join("\n")}>
          {data.issues[0].field ? `${fieldOf(data.issues[0].field)}: ` : ""}{data.issues[0].message}
          {data.issues.length > 1 && ` (+${data.issues.length - 1} more)`}
        </div>
      )}
      <div style={{ display: "flex", gap: 4, marginTop: 4 }}>
        <button className="small nodrag" disabled={data.busy} onClick={() => data.onRun(name)} title={`${data.dirty ? "Save, then run" : "Run"} step ${name} (and what it needs)`}>▶ Run</button>
        {data.status?.result && <button className="small nodrag" onClick={() => data.onOpen(data.status!)}>Open result</button>}
      </div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
const nodeTypes = { step: StepNode };

export interface StepGraphProps {
  steps: Step[];
  links: Link[];
  statuses: StepStatus[];
  issues: Issue[];
  busy: boolean;
  dirty: boolean;
  selected: string | null;
  onSelect: (name: string | null) => void;
  onRun: (name: string) => void;
  onOpen: (s: StepStatus) => void;
  onConnect: (source: string, target: string) => void;
  onDeleteStep: (name: string) => void;
  onDisconnect: (link: Link) => void;
  onDropKind: (kind: string) => void;
}

/** The workflow as a graph: steps as nodes, each reference as an edge (labelled with its field); drag from a
 * step's right dot to another's left dot to connect, Delete removes the selected step or edge. */
export default function StepGraph(p: StepGraphProps) {
  const { steps, links, statuses, issues, busy, dirty, selected, onRun, onOpen } = p;
  // Nodes are rebuilt from the document on every update: without their measured sizes React Flow hides them
  // (the graph went blank after "Run all" until a reload).
  const [measured, onMeasured] = useMeasured();
  const [moved, setMoved] = useState<Record<string, { x: number; y: number }>>({});
  const [edgeSel, setEdgeSel] = useState<string | null>(null);
  const flow = useReactFlow();
  const { nodes, edges } = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 60 });   // 60 px: room for an edge label ("foundation")
    g.setDefaultEdgeLabel(() => ({}));
    const names = steps.map((s) => s.name);
    names.forEach((n) => g.setNode(n, { ...SIZE }));
    const edges: Edge[] = [];
    for (const l of links) if (names.includes(l.source)) {
      g.setEdge(l.source, l.target);
      const id = `${l.source}->${l.target}:${l.path.join(".")}`;
      edges.push({ id, source: l.source, target: l.target, label: l.path[0] === "network" ? "foundation" : String(l.path[0]),
                   selected: id === edgeSel, data: { link: l },
                   animated: statuses.find((x) => x.name === l.target)?.status === "running" });
    }
    steps.forEach((s, i) => {   // a training step that refers to none runs after the one before it (e.g. on an imported
      // data set named by its name); a slice, evaluate or view step without its reference is unconnected, and shows it
      if (i === 0 || !["train", "pretrain"].includes(s.kind) || links.some((l) => l.target === s.name && names.includes(l.source))) return;
      g.setEdge(names[i - 1], s.name);
      edges.push({ id: `${names[i - 1]}~>${s.name}`, source: names[i - 1], target: s.name, className: "implicit",
                   selectable: false, deletable: false, style: { strokeDasharray: "4 4" } });
    });
    dagre.layout(g);
    const nodes: Node<StepData>[] = steps.map((s) => ({
      id: s.name, type: "step", measured: measured[s.name], selected: s.name === selected,
      position: moved[s.name] ?? { x: g.node(s.name).x - SIZE.width / 2, y: g.node(s.name).y - SIZE.height / 2 },
      data: { step: s, status: statuses.find((x) => x.name === s.name), issues: issues.filter((i) => i.node === s.name),
              onRun, onOpen, busy, dirty },
    }));
    return { nodes, edges };
  }, [steps, links, statuses, issues, busy, dirty, selected, onRun, onOpen, measured, moved, edgeSel]);

  const count = steps.length;
  useEffect(() => {   // a step added or removed: show the whole graph again (once React Flow has measured it)
    if (!count) return;
    const t = window.setTimeout(() => void flow.fitView({ maxZoom: 1.1, padding: 0.15 }), 80);
    return () => window.clearTimeout(t);
  }, [count, flow]);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    onMeasured(changes);
    const drags = changes.filter((c) => c.type === "position" && c.position);
    if (drags.length) setMoved((m) => ({ ...m, ...Object.fromEntries(drags.map((c) => c.type === "position" ? [c.id, c.position!] : [])) }));
  }, [onMeasured]);
  const onConnect = useCallback((c: Connection) => { if (c.source && c.target) p.onConnect(c.source, c.target); }, [p]);
  const onDrop = (e: React.DragEvent) => {
    const kind = e.dataTransfer.getData(STEP_DND);
    if (!kind) return;
    e.preventDefault();
    p.onDropKind(kind);
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    setPendingDrop({ x: at.x - SIZE.width / 2, y: at.y - SIZE.height / 2 });
  };
  const [pendingDrop, setPendingDrop] = useState<{ x: number; y: number } | null>(null);
  useEffect(() => {   // the step just dropped is the selected one, once the document has it
    if (!pendingDrop || !selected || !steps.some((s) => s.name === selected)) return;
    setMoved((m) => ({ ...m, [selected]: pendingDrop }));
    setPendingDrop(null);
  }, [pendingDrop, selected, steps]);

  return (
    <div className="canvas wf-canvas" aria-label="Workflow graph"
         onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; }} onDrop={onDrop}>
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange} onConnect={onConnect}
                 onNodeClick={(_, n) => { setEdgeSel(null); p.onSelect(n.id); }}
                 onEdgeClick={(_, e) => { p.onSelect(null); setEdgeSel(e.id); }}
                 onPaneClick={() => { setEdgeSel(null); p.onSelect(null); }}
                 onDelete={({ nodes: ns, edges: es }) => {
                   // a step's edges go with it only if the step may go: deleteStep decides, not React Flow
                   if (ns.length) ns.forEach((n) => p.onDeleteStep(n.id));
                   else for (const e of es) if (e.data?.link) p.onDisconnect(e.data.link as Link);
                   setEdgeSel(null);
                 }}
                 deleteKeyCode={["Delete", "Backspace"]} fitView fitViewOptions={{ maxZoom: 1.1, padding: 0.15 }}
                 proOptions={{ hideAttribution: true }}>
        <Background gap={20} /><Controls showInteractive={false} />
      </ReactFlow>
      {steps.length === 0 && (
        <div className="canvas-hint"><div>
          <strong>An empty workflow</strong>
          <p className="muted">Add steps from the palette (click, or drag onto the canvas), then connect a step's
            result (its right dot) to the next step's input (its left dot): a train step to an evaluate step, say.</p>
        </div></div>
      )}
    </div>
  );
}
