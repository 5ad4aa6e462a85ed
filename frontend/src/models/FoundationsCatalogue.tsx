import { api } from "../api/client";
import type { components } from "../api/schema";
import { useApi } from "../hooks/useApi";
import type { Navigate } from "../hooks/useHashRoute";
import { describeTask } from "../lib/describeData";

type Entry = components["schemas"]["FoundationEntry"];
type Use = components["schemas"]["FoundationUse"];
const pct = (v: number | null | undefined) => (typeof v === "number" ? `${(v * 100).toFixed(2)}%` : "—");

function taskOf(u: Use): string {
  if (u.tasks.length > 0) return u.tasks.map((t) => String(t.name ?? "?")).join(", ");
  return u.task ? describeTask(u.task) : "—";
}

/** An evaluation in words: the head's task name for a several-headed model, else its data. */
function evaluationOf(u: Use, e: Use["evaluations"][number]): string {
  const task = e.output ? u.tasks.find((t) => t.output === e.output) : undefined;
  return `${task ? String(task.name) : describeTask(e.data)}: ${pct(e.accuracy)}`;
}

function Weights({ u }: { u: Use }) {
  if (u.exact === true) return <span className="badge ok" title="its foundation part hashes the same as the foundation">exact weights</span>;
  if (u.exact === false) return <span className="badge failed" title={`its foundation part differs: ${u.frozen ? "swapped" : "fine-tuned"} (sha256 ${u.found_sha256?.slice(0, 12)})`}>{u.frozen ? "changed" : "fine-tuned"}</span>;
  return <span className="badge" title="a hash is unknown (e.g. imported from another workspace)">not checked</span>;
}

function FoundationCard({ f, navigate }: { f: Entry; navigate: Navigate }) {
  return (
    <div className="card list" style={{ gap: 8 }} aria-label={`Foundation ${f.name}`}>
      <div className="page-head">
        <span className="badge">◆ foundation</span>
        <strong className="clickable" onClick={() => navigate("models", f.id)}>{f.name}</strong>
        <span className="muted small mono">{f.id}</span>
        <span className="muted small">{f.made_by} · {f.params?.toLocaleString()} params · sha256 <span className="mono">{f.weights_sha256?.slice(0, 12) ?? "?"}</span></span>
        <div className="grow" />
        <span className="small">{f.models.length} model(s): <strong>{f.exact}</strong> on its exact weights, <strong>{f.changed}</strong> changed</span>
      </div>
      {f.models.length === 0 ? <div className="muted small">No model is grafted on it yet: open it and add a head, or use it in a report.</div> : (
        <table aria-label={`Models on ${f.name}`}>
          <thead><tr><th>Model</th><th>Task</th><th className="num">Test accuracy</th><th>Evaluations</th><th>Foundation node</th><th>Weights</th></tr></thead>
          <tbody>
            {f.models.map((u) => (
              <tr key={`${u.id}-${u.node}`} className="clickable" onClick={() => navigate("models", u.id)}>
                <td><strong>{u.name}</strong> <span className="muted small mono">{u.id}</span></td>
                <td>{taskOf(u)}</td>
                <td className="num" data-testid={`catalogue-accuracy-${u.id}`}>{u.tasks.length > 0 && u.accuracy == null
                  ? u.tasks.map((t) => <div key={String(t.name)} style={{ whiteSpace: "nowrap" }}>{String(t.name)} {pct(t.accuracy as number | undefined)}</div>)
                  : pct(u.accuracy)}</td>
                <td className="small">{u.evaluations.length === 0 ? <span className="muted">not evaluated</span>
                  : u.evaluations.slice(0, Math.max(3, u.tasks.length)).map((e) => evaluationOf(u, e)).join(" · ")}</td>
                <td className="small mono">{u.node} <span className="muted">{u.frozen ? "frozen" : "trainable"}</span></td>
                <td style={{ whiteSpace: "nowrap" }}><Weights u={u} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export default function FoundationsCatalogue({ navigate }: { navigate: Navigate }) {
  const entries = useApi((signal) => api.GET("/api/foundations", { signal }), []);
  return (
    <div className="list" style={{ gap: 12 }} aria-label="Foundations catalogue">
      {entries.error && <div className="error-box">{entries.error}</div>}
      {entries.data?.length === 0 && <div className="empty"><strong>No foundations yet</strong>Open a trained model and slice a foundation off it, or pretrain one in <a href="#/train">Train</a>.</div>}
      {(entries.data ?? []).map((f) => <FoundationCard key={f.id} f={f} navigate={navigate} />)}
    </div>
  );
}
