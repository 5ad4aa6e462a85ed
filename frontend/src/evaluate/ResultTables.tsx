import type { EvaluationRecord } from "../api/client";
import Pager, { usePage } from "./Pager";

/** One class's row of an evaluation's summary (the record keeps these rows as free objects). */
interface PerClass {
  class: string;
  label: number;
  total: number;
  hit: number;
  accuracy: number;
}
export const perClassOf = (ev: EvaluationRecord) => ev.per_class as unknown as PerClass[];

const pct = (v: number | null | undefined) => (typeof v === "number" ? `${(v * 100).toFixed(2)}%` : "—");
const PER_CLASS_PAGE = 25;

/** The seed's `total 10000 / hit 9658` table and the per-class breakdown, a page at a time. */
export default function ResultTables({ ev }: { ev: EvaluationRecord }) {
  const rows = perClassOf(ev);
  const p = usePage(rows.length, PER_CLASS_PAGE);
  return (
    <div className="row">
      <div className="card">
        <h2>Result</h2>
        <table className="result-table" aria-label="Evaluation result">
          <tbody>
            <tr><td>total</td><td className="num" data-testid="result-total">{ev.total}</td></tr>
            <tr><td>hit</td><td className="num" data-testid="result-hit">{ev.hit}</td></tr>
            <tr><td>accuracy</td><td className="num" data-testid="result-accuracy">{pct(ev.accuracy)}</td></tr>
          </tbody>
        </table>
      </div>
      <div className="card grow" style={{ maxHeight: 420, overflow: "auto" }}>
        <div className="page-head"><h2 style={{ margin: 0 }}>Per class <span className="muted small">{rows.length} classes</span></h2>
          <div className="grow" />{p.pages > 1 && <Pager {...p} label="per-class" />}</div>
        <table aria-label="Per-class result">
          <thead><tr><th>Class</th><th className="num">Label</th><th className="num">Total</th><th className="num">Hit</th><th className="num">Accuracy</th></tr></thead>
          <tbody>
            {rows.slice(p.start, p.end).map((c) => (
              <tr key={c.label}><td>{c.class}</td><td className="num">{c.label}</td><td className="num">{c.total}</td>
                <td className="num">{c.hit}</td><td className="num">{pct(c.accuracy)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
