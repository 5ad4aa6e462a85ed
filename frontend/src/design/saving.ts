import type { Analysis } from "../api/client";

/** Where Save writes and what it must ask first: a save never overwrites, nor stores a broken network, silently. */
export interface SavePlan {
  target: string | null;   // the saved network to replace (PUT), or null for a new one (POST)
  question: string | null; // null: save at once; else ask it, and save only on yes
}

/** `trusted`: a saved network this session already wrote or agreed to replace (saving it again asks nothing). */
export function planSave(name: string, savedId: string | null, trusted: string | null,
                         saved: { id: string; name: string }[], analysis: Analysis | null): SavePlan {
  const asks: string[] = [];
  const mine = savedId ? saved.find((n) => n.id === savedId) : undefined;
  const namesake = saved.find((n) => n.name === name && n.id !== savedId);
  let target: string | null = null;
  if (mine) {
    target = mine.id;
    if (mine.id !== trusted) asks.push(`Replace the saved network “${mine.name}” (${mine.id}) with this drawing?`);
  } else if (namesake) {
    target = namesake.id;
    asks.push(`A network named “${name}” is already saved (${namesake.id}). Replace it?`);
  }
  const issues = analysis && !analysis.ok ? analysis.issues : [];
  if (issues.length) {
    const named = issues.slice(0, 3).map((i) => `${i.node ?? "network"}${i.field ? `.${i.field}` : ""}: ${i.message}`);
    const more = issues.length > 3 ? `\n… and ${issues.length - 3} more` : "";
    asks.push(`It is not valid (${issues.length} issue${issues.length > 1 ? "s" : ""}), so it cannot be trained as it is:\n`
      + named.join("\n") + more + "\nSave it anyway?");
  }
  return { target, question: asks.length ? asks.join("\n\n") : null };
}
