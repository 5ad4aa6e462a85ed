import type { components } from "../api/schema";
import type { Navigate } from "../hooks/useHashRoute";
import { useTheme } from "../hooks/useTheme";
import { describeTask } from "../lib/describeData";
import { pct, secs } from "./ReportView";

export type SynergyRecord = components["schemas"]["SynergyRecord"];

/** A difference in points, signed: "+1.20 pt", "−0.85 pt" (negative: joint training hurt the task). */
export const points = (d: number) => `${d > 0 ? "+" : d < 0 ? "−" : "±"}${(Math.abs(d) * 100).toFixed(2)} pt`;
const training = (hp: { foundation_training?: string; foundation_lr_multiplier?: number }) =>
  hp.foundation_training === "frozen" ? "foundation frozen (only heads train)"
    : `foundation fine-tuned at lr × ${hp.foundation_lr_multiplier ?? 0.1}`;
const verdict = (d: number) => (d > 0 ? { text: "helped", cls: "done" } : d < 0 ? { text: "hurt", cls: "failed" } : { text: "no change", cls: "" });

/** A stored synergy report: per task, trained alone and all tasks together on one foundation. */
export default function SynergyView({ report, navigate }: { report: SynergyRecord; navigate: Navigate }) {
  const theme = useTheme();
  const hp = report.hparams as { foundation_training?: string; foundation_lr_multiplier?: number; seed?: number;
                                 task_mixing?: string; threads?: number };
  const helped = report.rows.filter((r) => r.difference > 0).length;
  const hurt = report.rows.filter((r) => r.difference < 0).length;
  return (
    <div className="card list" style={{ gap: 12 }} aria-label="Synergy report">
      <div className="page-head">
        <h2 style={{ margin: 0 }}>{report.foundation_name}: {report.rows.map((r) => r.name).join(" + ")}</h2>
        <span className="muted small mono">{report.id}</span>
        <div className="grow" />
        <button onClick={() => navigate("models", "foundations")}>Foundations catalogue →</button>
        <a className="button" href={`/api/reports/${report.id}`} target="_blank" rel="noreferrer">JSON</a>
      </div>
      <div className="small muted">
        {report.epochs} epoch{report.epochs === 1 ? "" : "s"} over each task's data, alone and together · {training(hp)} ·{" "}
        {hp.task_mixing === "proportional" ? "batches mixed in proportion to each task's size" : "batches alternating between tasks"} ·{" "}
        seed {hp.seed}{hp.threads ? ` · ${hp.threads} CPU thread${hp.threads > 1 ? "s" : ""}` : ""} · together helped {helped}, hurt {hurt} of {report.rows.length} tasks ·
        mean <strong className={report.mean_difference < 0 ? "neg" : ""}>{points(report.mean_difference)}</strong> ·
        time: alone {secs(report.alone_seconds)} in all, together {secs(report.together_seconds)}
      </div>
      <table aria-label="Synergy results" className="report-table">
        <thead><tr><th>Task</th><th>Data</th><th className="num">Training images</th><th className="num">Test images</th>
          <th className="num">Alone</th><th className="num">Together</th><th className="num">Difference</th>
          <th className="num">Training time alone</th><th>Together vs alone</th></tr></thead>
        <tbody>
          {report.rows.map((r) => {
            const v = verdict(r.difference);
            return (
              <tr key={r.name} data-testid={`synergy-row-${r.name}`}>
                <td data-col="name"><strong>{r.name}</strong></td>
                <td className="small">{describeTask(r.data)}</td>
                <td className="num" data-col="train_size">{r.train_size.toLocaleString("en-US")}</td>
                <td className="num">{r.test_size.toLocaleString("en-US")}</td>
                <td className="num" data-col="alone">{pct(r.alone.accuracy)}</td>
                <td className="num" data-col="together"><strong>{pct(r.together.accuracy)}</strong></td>
                <td className="num" data-col="difference">{points(r.difference)}</td>
                <td className="num">{secs(r.alone_seconds)}</td>
                <td><span className={`badge ${v.cls}`}>{v.text}</span></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <img className="report-plot" src={`/api/reports/${report.id}/plot.png?theme=${theme}`} width={640} height={400}
           alt={`Test accuracy per task on ${report.foundation_name}, trained alone and together`} />
    </div>
  );
}
