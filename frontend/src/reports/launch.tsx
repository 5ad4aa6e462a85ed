import { useState } from "react";
import type { ModelRecord, RunRecord } from "../api/client";

/** The foundation a report form shows: the one picked while it is still listed, else the first (or ""). */
export function useFoundationPick(foundations: ModelRecord[], initial?: string) {
  const [picked, setPicked] = useState(initial ?? "");
  const foundation = foundations.some((f) => f.id === picked) ? picked : foundations[0]?.id ?? "";
  return [foundation, setPicked] as const;
}

export function FoundationSelect({ foundations, value, onChange, label }:
  { foundations: ModelRecord[]; value: string; onChange: (id: string) => void; label: string }) {
  return (
    <label className="field"><span>Foundation</span>
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        {foundations.map((f) => <option key={f.id} value={f.id}>{f.name} ({f.id})</option>)}
      </select></label>
  );
}

/** A form's submit that queues a run: busy while it is sent, the error (a thrown check or the server's) to show. */
export function useLaunch(onLaunched: (r: RunRecord) => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const launch = (queue: () => Promise<RunRecord>) => async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLaunched(await queue());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, launch };
}
