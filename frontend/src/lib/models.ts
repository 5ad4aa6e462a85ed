import type { ModelRecord } from "../api/client";

/** A model whose output is one score per class (a vector): what evaluation, label propagation's head need. */
export const isClassifier = (m: Pick<ModelRecord, "kind" | "output_shape">) =>
  m.kind !== "foundation" && (!m.output_shape || m.output_shape.length === 1);

/** Which accuracy a model's `accuracy` is: test once evaluated, else validation, else the training epoch mean. */
export function accuracyLabel(source: string | null | undefined): string {
  return source === "test" ? "test" : source === "validation" ? "validation" : source === "train" ? "train acc (epoch mean)" : "";
}

export const pct = (v: number | null | undefined) => (typeof v === "number" ? `${(v * 100).toFixed(2)}%` : "—");
