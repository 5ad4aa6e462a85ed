import type { ReportRecord } from "../api/client";
import type { Navigate } from "../hooks/useHashRoute";
import { useTheme } from "../hooks/useTheme";
import { describeRef, type DataRef } from "../lib/dataRefs";

type Row = ReportRecord["rows"][number];

export const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
export const secs = (v: number) => (v > 0 && v < 0.05 ? "< 0.1 s" : `${v.toFixed(1)} s`);
const budgetLabel = (b: Row["budget"]) => (b === "all" ? "all" : String(b));

function winner(r: Row): { text: string; cls: string } {
  if (r.gain > 0) return { text: "foundation", cls: "done" };
  if (r.gain < 0) return { text: "from scratch", cls: "failed" };
  return { text: "tie", cls: "" };
}

/** A stored transfer report: per label budget, the foundation's head against the same network from scratch. */
export default function ReportView({ report, navigate }: { report: ReportRecord; navigate: Navigate }) {
  const theme = useTheme();
  const wins = report.rows.filter((r) => r.gain > 0).length;
  const semi = report.rows.some((r) => r.semi_supervised);
  return (
    <div className="card list" style={{ gap: 12 }} aria-label="Transfer report">
      <div className="page-head">
        <h2 style={{ margin: 0 }}>{report.foundation_name} → {describeRef(report.target as unknown as DataRef)}</h2>
        <span className="muted small mono">{report.id}</span>
        <div className="grow" />
        <button onClick={() => navigate("models", report.foundation_id)}>Open foundation →</button>
        <a className="button" href={`/api/reports/${report.id}`} target="_blank" rel="noreferrer">JSON</a>
      </div>
      <div className="small muted">
        Tested on {report.test_size.toLocaleString("en-US")} images ({describeRef(report.test as unknown as DataRef)}) ·
        the foundation wins {wins} of {report.rows.length} budget{report.rows.length === 1 ? "" : "s"} ·
        {" "}{report.created_at?.replace("T", " ").slice(0, 16)}
      </div>
      <table aria-label="Transfer results" className="report-table">
        <thead><tr>
          <th>Labels per class</th><th className="num">Training images</th><th className="num">Epochs</th>
          <th className="num">Foundation + head</th><th className="num">From scratch</th><th className="num">Gain</th>
          <th className="num">Time, foundation</th><th className="num">Time, scratch</th>
          {semi && <th className="num" title="The same head, also trained on the unlabeled images with propagated labels">+ unlabeled images</th>}
          <th>Winner</th>
        </tr></thead>
        <tbody>
          {report.rows.map((r) => {
            const w = winner(r);
            return (
              <tr key={String(r.budget)} data-testid={`report-row-${budgetLabel(r.budget)}`}>
                <td data-col="budget">{budgetLabel(r.budget)}</td>
                <td className="num" data-col="train_size">{r.train_size.toLocaleString("en-US")}</td>
                <td className="num" data-col="epochs">{r.epochs}</td>
                <td className="num" data-col="foundation"><strong>{pct(r.foundation.accuracy)}</strong></td>
                <td className="num" data-col="scratch">{pct(r.scratch.accuracy)}</td>
                <td className="num" data-col="gain">{r.gain >= 0 ? "+" : "−"}{(Math.abs(r.gain) * 100).toFixed(2)} pt</td>
                <td className="num" data-col="foundation_time">{secs(r.foundation.train_seconds)}</td>
                <td className="num" data-col="scratch_time">{secs(r.scratch.train_seconds)}</td>
                {semi && <td className="num" data-col="semi_supervised">{r.semi_supervised
                  ? <><strong>{pct(r.semi_supervised.accuracy)}</strong> <span className="muted small">{secs(r.semi_supervised.train_seconds)}</span></>
                  : "—"}</td>}
                <td data-col="winner"><span className={`badge ${w.cls}`}>{w.text}</span></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <img className="report-plot" src={`/api/reports/${report.id}/plot.png?theme=${theme}`} width={640} height={400}
           alt={`Test accuracy by labels per class: ${report.foundation_name} with a new head against the same network from scratch`} />
    </div>
  );
}
