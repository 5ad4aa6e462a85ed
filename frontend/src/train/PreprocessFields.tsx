// The data reference's preprocessing on the Train page: resize (H,W), fit (crop|pad), per-channel mean/std.
// Empty fields send nothing (no preprocessing). The server validates (DataRef in contracts/data.py); its
// answers are shown on the field they name.
import type { Issue } from "../api/client";

export interface Prep { resize: string; fit: "" | "crop" | "pad"; mean: string; std: string }
export type PrepField = keyof Prep;
export const NO_PREP: Prep = { resize: "", fit: "", mean: "", std: "" };

/** "32, 32" / "32x32" -> [32, 32]; a part that is not a number is sent as written, for the server to name. */
function numbers(text: string): (number | string)[] | undefined {
  const parts = text.split(/[\s,x×]+/).filter(Boolean);
  return parts.length ? parts.map((p) => (p.trim() !== "" && Number.isFinite(Number(p)) ? Number(p) : p)) : undefined;
}

/** The data reference's preprocessing fields for what the form holds (only those filled in). */
export type PrepRef = { resize?: number[]; fit?: "crop" | "pad"; mean?: number[]; std?: number[] };
export function prepFieldsOf(p: Prep): PrepRef {
  const out: Record<string, unknown> = {};
  for (const k of ["resize", "mean", "std"] as const) {
    const v = numbers(p[k]);
    if (v) out[k] = v;
  }
  if (p.fit) out.fit = p.fit;
  return out as PrepRef;   // a non-number part stays text: the server's answer names it on the field
}

/** [H, W] when resize holds two whole numbers (a template network takes it as its input size). */
export function resizeOf(p: Prep): [number, number] | null {
  const v = numbers(p.resize);
  return v?.length === 2 && v.every((n) => Number.isInteger(n) && (n as number) > 0) ? v as [number, number] : null;
}

const WHICH = ["first", "second", "third", "fourth"];
const FIELD = /(?:^|\.)(?:data|unlabeled)\.(?:DataRef\.)?(resize|fit|mean|std)(?:\.(\d+))?(?:\.|$)/;

/** The server's issues about a data reference's preprocessing, by the form field they belong to. */
export function prepErrors(issues: Issue[]): Partial<Record<PrepField, string>> {
  const out: Partial<Record<PrepField, string>> = {};
  for (const i of issues) {
    const m = FIELD.exec(i.field ?? "");
    if (!m || out[m[1] as PrepField]) continue;
    const at = m[2] !== undefined ? `${WHICH[Number(m[2])] ?? `number ${Number(m[2]) + 1}`} number: ` : "";
    out[m[1] as PrepField] = at + i.message;
  }
  return out;
}

const HINTS: Record<Exclude<PrepField, "fit">, [string, string, string]> = {
  resize: ["Resize H,W", "none, e.g. 32,32", "Fit every image to height,width at train time; the model keeps it (evaluation, previews, exports)"],
  mean: ["Mean per channel", "the data's, e.g. 0.5,0.5,0.5", "Per-channel mean of pixels in [0, 1]; with std it replaces the data's own statistics"],
  std: ["Std per channel", "the data's, e.g. 0.25,0.25,0.25", "Per-channel standard deviation of pixels in [0, 1], one per mean"],
};

export default function PreprocessFields({ value, onChange, errors }: { value: Prep; onChange: (p: Prep) => void;
                                                                        errors: Partial<Record<PrepField, string>> }) {
  const err = (k: PrepField) => errors[k] && <span id={`prep-${k}-error`} className="field-error" role="alert">{errors[k]}</span>;
  const text = (k: Exclude<PrepField, "fit">) => (
    <label className="field"><span>{HINTS[k][0]}</span>
      <input value={value[k]} onChange={(e) => onChange({ ...value, [k]: e.target.value })} placeholder={HINTS[k][1]}
             title={HINTS[k][2]} aria-label={k === "resize" ? "Resize" : k === "mean" ? "Mean" : "Std"}
             aria-invalid={errors[k] ? true : undefined} aria-describedby={errors[k] ? `prep-${k}-error` : undefined} />
      {err(k)}</label>
  );
  return (
    <fieldset className="form-grid prep-fields" aria-label="Preprocessing">
      <legend className="small muted">Preprocessing, kept with the model (empty: none)</legend>
      {text("resize")}
      <label className="field"><span>Fit</span>
        <select aria-label="Fit" value={value.fit} onChange={(e) => onChange({ ...value, fit: e.target.value as Prep["fit"] })}
                aria-invalid={errors.fit ? true : undefined} aria-describedby={errors.fit ? "prep-fit-error" : undefined}
                title="crop: scale the shorter side and cut the centre; pad: scale the longer side and letterbox with black">
          <option value="">crop (default)</option><option value="crop">crop</option><option value="pad">pad</option>
        </select>{err("fit")}</label>
      {text("mean")}{text("std")}
    </fieldset>
  );
}
