// A data reference is a document ({dataset, split?, transforms?}); saved subsets live in this browser
// so Train and Evaluate can pick them.
export interface DataRef {
  dataset: string;
  split?: "train" | "val" | "test";
  transforms?: Record<string, unknown>[];
}
export interface NamedRef { name: string; ref: DataRef }

const KEY = "graft-data-views";

export function loadViews(): NamedRef[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export function saveView(v: NamedRef) {
  localStorage.setItem(KEY, JSON.stringify([...loadViews().filter((x) => x.name !== v.name), v]));
}

export function deleteView(name: string) {
  localStorage.setItem(KEY, JSON.stringify(loadViews().filter((x) => x.name !== name)));
}

export function describeRef(r: DataRef): string {
  const t = (r.transforms ?? []).map((x) => Object.keys(x)[0]).join(", ");
  return `${r.dataset}${r.split ? `/${r.split}` : ""}${t ? ` [${t}]` : ""}`;
}
