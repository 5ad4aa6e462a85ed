/** The palette's search: layer types ranked by how well their name matches, so Enter can take the top hit. */
export interface Searchable {
  type: string;
  category: string;
  doc?: string | null;
}

/** 0 exact name, 1 name prefix, 2 a word of the name starts with it (Conv|Transpose2d), 3 inside the name,
 * 4 category or description; null no match. */
export function matchRank(l: Searchable, needle: string): number | null {
  const q = needle.trim().toLowerCase();
  if (!q) return 4;
  const name = l.type.toLowerCase();
  if (name === q) return 0;
  if (name.startsWith(q)) return 1;
  const words = l.type.split(/(?=[A-Z][a-z])|[_\s-]/).map((w) => w.toLowerCase());
  if (words.some((w) => w.startsWith(q))) return 2;
  if (name.includes(q)) return 3;
  if (`${l.category} ${l.doc ?? ""}`.toLowerCase().includes(q)) return 4;
  return null;
}

/** The layers matching `needle`, best first (then by name). */
export function rankLayers<T extends Searchable>(layers: T[], needle: string): T[] {
  return layers
    .map((l) => ({ l, r: matchRank(l, needle) }))
    .filter((x): x is { l: T; r: number } => x.r !== null)
    .sort((a, b) => a.r - b.r || a.l.type.localeCompare(b.l.type))
    .map((x) => x.l);
}
