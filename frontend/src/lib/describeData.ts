/** A task's training data in words: "mnist, relabelled even/odd, 20 per class". */
export function describeTask(ref: Record<string, unknown>): string {
  const parts = [String(ref.dataset ?? "?")];
  for (const t of (ref.transforms ?? []) as Record<string, unknown>[]) {
    const relabel = t.relabel as { classes?: string[] } | undefined;
    if (relabel) parts.push(`relabelled ${(relabel.classes ?? []).join("/")}`.trim());
    else if (t.keep_classes) parts.push(`classes ${(t.keep_classes as number[]).join(", ")}`);
    else if (t.per_class !== undefined) parts.push(`${t.per_class} per class`);
    else if (t.limit !== undefined) parts.push(`first ${t.limit}`);
    else parts.push(Object.keys(t)[0] ?? "");
  }
  return parts.join(", ");
}
