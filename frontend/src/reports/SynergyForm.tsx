import { useRef, useState } from "react";
import { api, call, sent, type ModelRecord, type RunRecord } from "../api/client";
import type { components } from "../api/schema";
import type { DataRef } from "../lib/dataRefs";
import { useDataChoice } from "../train/pickers";

type Task = { key: number; name: string; data: string; perClass: string };
type Refs = Record<number, () => DataRef>;

function TaskRow({ task, index, refs, onChange, onRemove }:
  { task: Task; index: number; refs: Refs; onChange: (t: Task) => void; onRemove?: () => void }) {
  const { choice, options, refOf } = useDataChoice(task.data);
  refs[task.key] = () => refOf("");     // read at submit: the data reference of what is shown now
  return (
    <div className="form-grid" style={{ gridTemplateColumns: "1fr 2fr 1fr auto", alignItems: "end" }} aria-label={`Task ${index + 1}`}>
      <label className="field"><span>Task name</span>
        <input value={task.name} onChange={(e) => onChange({ ...task, name: e.target.value })} aria-label={`Task ${index + 1} name`}
               pattern="[A-Za-z][A-Za-z0-9_]{0,31}" title="letters, digits and _; starts with a letter" /></label>
      <label className="field"><span>Data set or saved view</span>
        <select aria-label={`Task ${index + 1} data`} value={choice} onChange={(e) => onChange({ ...task, data: e.target.value })}>{options}</select></label>
      <label className="field"><span>Labels per class</span>
        <input type="number" min="1" step="1" value={task.perClass} placeholder="all" aria-label={`Task ${index + 1} labels per class`}
               onChange={(e) => onChange({ ...task, perClass: e.target.value })} /></label>
      {onRemove ? <button type="button" className="ghost" onClick={onRemove} aria-label={`Remove task ${index + 1}`}>Remove</button> : <span />}
    </div>
  );
}

/** Pick a foundation and two or more tasks; queue the synergy report (POST /api/reports/synergy). */
export default function SynergyForm({ foundations, onLaunched }: { foundations: ModelRecord[]; onLaunched: (r: RunRecord) => void }) {
  const [picked, setPicked] = useState("");
  const [tasks, setTasks] = useState<Task[]>([{ key: 0, name: "task1", data: "", perClass: "100" },
                                              { key: 1, name: "task2", data: "", perClass: "100" }]);
  const [epochs, setEpochs] = useState("10");
  const [training, setTraining] = useState<"finetune" | "frozen">("finetune");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refs = useRef<Refs>({}).current;
  const foundation = foundations.some((f) => f.id === picked) ? picked : foundations[0]?.id ?? "";
  if (foundations.length === 0) return <div className="empty"><strong>No foundations yet</strong>Slice one off a trained model in <a href="#/models">Models</a>.</div>;

  const update = (i: number) => (t: Task) => setTasks((ts) => ts.map((x, j) => (j === i ? t : x)));
  const launch = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const n = Number(epochs);
      if (!(Number.isInteger(n) && n > 0)) throw new Error(`Epochs must be a whole number above 0, found “${epochs}”.`);
      const body = sent<components["schemas"]["SynergyRequest"]>({
        foundation, epochs: n, foundation_training: training,
        tasks: tasks.map((t, i) => {
          const k = Number(t.perClass);
          if (t.perClass && !(Number.isInteger(k) && k > 0)) throw new Error(`Task ${i + 1}: labels per class must be a whole number above 0 or empty for all, found “${t.perClass}”.`);
          // head and weight: the server's defaults (graft.contracts.SynergyTask)
          return { name: t.name, data: refs[t.key](), ...(t.perClass ? { per_class: k } : {}) } as components["schemas"]["SynergyTask"];
        }),
      });
      onLaunched(await call(api.POST("/api/reports/synergy", { body })));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="list" style={{ gap: 12 }} onSubmit={launch} aria-label="New synergy report">
      <div className="form-grid" style={{ gridTemplateColumns: "2fr 1fr 1fr" }}>
        <label className="field"><span>Foundation</span>
          <select aria-label="Synergy foundation" value={foundation} onChange={(e) => setPicked(e.target.value)}>
            {foundations.map((f) => <option key={f.id} value={f.id}>{f.name} ({f.id})</option>)}
          </select></label>
        <label className="field"><span>Epochs over each task's data</span>
          <input type="number" min="1" step="1" value={epochs} onChange={(e) => setEpochs(e.target.value)} aria-label="Synergy epochs" /></label>
        <label className="field"><span>Foundation training</span>
          <select aria-label="Foundation training" value={training} onChange={(e) => setTraining(e.target.value as "finetune" | "frozen")}>
            <option value="finetune">fine-tuned (tasks share what it learns)</option><option value="frozen">frozen (only heads train)</option>
          </select></label>
      </div>
      {tasks.map((t, i) => <TaskRow key={t.key} task={t} index={i} refs={refs} onChange={update(i)}
                                    onRemove={tasks.length > 2 ? () => setTasks(tasks.filter((_, j) => j !== i)) : undefined} />)}
      <div className="page-head">
        <button type="button" className="ghost" disabled={tasks.length >= 8}
                onClick={() => setTasks([...tasks, { key: Math.max(...tasks.map((t) => t.key)) + 1, name: `task${tasks.length + 1}`, data: "", perClass: "100" }])}>+ Add task</button>
        <div className="grow" />
        <button className="primary" type="submit" disabled={busy}>{busy ? "Queuing…" : "Start synergy report"}</button>
      </div>
      <p className="muted small" style={{ margin: 0 }}>
        Each task trains alone on the foundation with its own head, then all tasks train together (one head each, batches
        alternating), for the same epochs over each task's data and the same seed; every head is tested on its data set's
        test split. Save a relabelled subset (odd/even, …) as a view in <a href="#/data">Data</a> to use it as a task.
      </p>
      {error && <div className="error-box small" role="alert">{error}</div>}
    </form>
  );
}
