import type { DatasetInspection } from "../api/client";

/** The choices made on the preview, sent with the upload (empty: the server's default). */
export interface ImportOptions { name: string; labelColumn: string; resize: string; testFraction: string }

/** "H,W" of the commonest image size when sizes are mixed (the resize field's first value), else "". */
export function suggestedResize(report: Pick<DatasetInspection, "sizes">): string {
  const sizes = report.sizes ?? [];
  if (sizes.length < 2) return "";
  const top = sizes.reduce((a, b) => (b.count > a.count ? b : a));
  return `${top.height},${top.width}`;
}

/** "H,W" or "HxW" with two positive whole numbers, or empty; anything else is a message for the field. */
export function resizeProblem(text: string): string | null {
  if (!text.trim()) return null;
  return /^\s*\d+\s*[,x]\s*\d+\s*$/i.test(text) && !/(^|\D)0+(\D|$)/.test(text.trim())
    ? null : "expected height,width, e.g. 32,32";
}

/** The multipart form for /api/datasets/inspect and /api/datasets/import. */
export function importForm(file: File, opts: ImportOptions): FormData {
  const form = new FormData();
  form.append("file", file);
  const fields: [string, string][] = [["name", opts.name.trim()], ["label_column", opts.labelColumn.trim()],
    ["resize", opts.resize.trim()], ["test_fraction", opts.testFraction.trim()]];
  for (const [k, v] of fields) if (v) form.append(k, v);
  return form;
}

/** Image sizes as a line: "28x28 (60000)" or "30x40 (4) · 50x50 (4) and 3 more" (height x width). */
export function sizesText(report: Pick<DatasetInspection, "sizes" | "sizes_more">): string {
  const shown = (report.sizes ?? []).map((s) => `${s.height}x${s.width} (${s.count})`).join(" · ");
  return report.sizes_more ? `${shown} and ${report.sizes_more} more` : shown;
}

/** A data set's shape as C x H x W, or "". */
export const shapeText = (shape?: number[] | null) => (shape ? shape.join("x") : "");
