import { useEffect, useState } from "react";
import { api, cancelRun, type RunRecord } from "../api/client";
import { useApi } from "../hooks/useApi";
import { useEvents } from "../hooks/useEvents";
import type { Navigate } from "../hooks/useHashRoute";
import { describeRef, type DataRef } from "../lib/dataRefs";
import ReportForm from "../reports/ReportForm";
import ReportView from "../reports/ReportView";
import SynergyForm from "../reports/SynergyForm";
import SynergyView, { type SynergyRecord } from "../reports/SynergyView";
import { fmtEta } from "../train/RunDetail";

const REPORT_KINDS = ["report", "synergy"];
const targetOf = (t: Record<string, unknown>) =>
  Array.isArray(t.tasks) ? `${t.tasks.length} tasks: ${t.tasks.join(", ")}` : describeRef(t as unknown as DataRef);
const active = (r: RunRecord) => r.status === "queued" || r.status === "running";

function RunProgress({ run, onChanged }: { run: RunRecord; onChanged: () => void }) {
  const pct = Math.round((run.progress ?? 0) * 100);
  return (
    <div className="card list" style={{ gap: 8 }} aria-label={`Report run ${run.id}`}>
      <div className="page-head">
        <strong>{run.name}</strong><span className={`badge ${run.status}`}>{run.status}</span>
        <span className="muted small mono">{run.id}</span><div className="grow" />
        {active(run) && <button className="danger" onClick={() => cancelRun(run.id).then(onChanged, onChanged)}>Cancel</button>}
      </div>
      {active(run) && (
        <div role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Report progress">
          <div className={`progress ${run.status === "queued" ? "indeterminate" : ""}`}><div style={{ width: `${pct}%` }} /></div>
          <div className="small muted">{run.status === "queued" ? "waiting for a worker" : `${pct}% · ${run.stage ?? "starting"}`} {fmtEta(run.eta)}</div>
        </div>
      )}
      {run.error && <div className="error-box small" role="alert">{run.error}</div>}
    </div>
  );
}

export default function ReportsPage({ param, navigate }: { param?: string; navigate: Navigate }) {
  const foundations = useApi((signal) => api.GET("/api/models", { params: { query: { kind: "foundation" } }, signal }), []);
  const reports = useApi((signal) => api.GET("/api/reports", { signal }), []);
  const allRuns = useApi((signal) => api.GET("/api/runs", { signal }), []);
  const runs = { ...allRuns, data: allRuns.data?.filter((r) => REPORT_KINDS.includes(r.kind)) };
  const [form, setForm] = useState<"transfer" | "synergy">("transfer");
  const [watching, setWatching] = useState<string | null>(null);
  const id = param?.startsWith("rep-") ? param : null;
  const report = useApi(id ? (signal) => api.GET("/api/reports/{id}", { params: { path: { id } }, signal }) : null, [id]);
  const shown = (runs.data ?? []).filter((r) => active(r) || r.id === watching);
  useEvents((e) => {
    if (!REPORT_KINDS.includes(String(e.kind))) return;
    runs.reload();
    if (e.status === "done") reports.reload();
  }, () => { if (shown.some(active)) runs.reload(); });

  const watched = runs.data?.find((r) => r.id === watching);
  const reloadReports = reports.reload;
  useEffect(() => {
    if (watched?.status === "done" && watched.report_id) {  // the report just finished: show it
      setWatching(null);
      reloadReports();
      navigate("reports", watched.report_id);
    }
  }, [watched?.status, watched?.report_id, navigate, reloadReports]);

  return (
    <div className="page">
      <div className="page-head"><h1>Reports</h1>
        <span className="muted">What a foundation buys: a head on it against the same network from scratch (transfer), or tasks trained alone against together on it (synergy)</span></div>
      <div className="card list" style={{ gap: 12 }}>
        <div className="page-head">
          <h2 style={{ margin: 0 }}>New {form} report</h2>
          <div className="tabs" role="tablist" aria-label="Kind of report">
            <button role="tab" type="button" aria-selected={form === "transfer"} onClick={() => setForm("transfer")}>Transfer: foundation vs scratch</button>
            <button role="tab" type="button" aria-selected={form === "synergy"} onClick={() => setForm("synergy")}>Synergy: tasks alone vs together</button>
          </div>
        </div>
        {foundations.error && <div className="error-box small">{foundations.error}</div>}
        {foundations.data && form === "synergy" && <SynergyForm foundations={foundations.data} onLaunched={(r) => { setWatching(r.id); runs.reload(); }} />}
        {foundations.data && form === "transfer" && <ReportForm foundations={foundations.data} initial={param?.startsWith("new:") ? param.slice(4) : undefined}
                                         onLaunched={(r) => { setWatching(r.id); runs.reload(); }} />}
      </div>
      {shown.map((r) => <RunProgress key={r.id} run={r} onChanged={runs.reload} />)}
      <div className="card" style={{ maxHeight: id ? 200 : 360, overflow: "auto", padding: 0 }}>
        {reports.error && <div className="error-box">{reports.error}</div>}
        {reports.data?.length === 0 ? (
          <div className="empty" style={{ margin: 16 }}><strong>No reports yet</strong>
            Pick a foundation and a target task above and start one: the table and the plot appear here.</div>
        ) : (
          <table aria-label="Reports">
            <thead><tr><th>Foundation</th><th>Kind</th><th>Target task</th><th>Created</th><th>Id</th></tr></thead>
            <tbody>
              {(reports.data ?? []).map((r) => (
                <tr key={r.id} className={`clickable ${r.id === id ? "selected" : ""}`} onClick={() => navigate("reports", r.id)}>
                  <td><strong>{r.foundation_name}</strong> <span className="muted small mono">{r.foundation_id}</span></td>
                  <td><span className="badge">{r.kind}</span></td>
                  <td>{targetOf(r.target)}</td>
                  <td className="small">{r.created_at?.replace("T", " ").slice(0, 16)}</td>
                  <td className="small mono">{r.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {report.error && <div className="error-box">{report.error}</div>}
      {report.data && report.data.id === id ? (report.data.kind === "synergy"
        ? <SynergyView report={report.data as SynergyRecord} navigate={navigate} />
        : <ReportView report={report.data as Exclude<typeof report.data, SynergyRecord>} navigate={navigate} />)
        : !id && (reports.data?.length ?? 0) > 0 && <div className="empty">Select a report to see its table and plot.</div>}
    </div>
  );
}
