import type { Analysis, NetworkSpec } from "../design/convert";

/** An imported model's module hierarchy (each node's `group`, e.g. `encoder.stages.1.layers.0`) as a tree of
 * blocks. A block holds at least two layers: a module path with one layer in it is that layer. */
export interface Block {
  key: string;             // `blk:<path>`: how items name it (a layer may be called like its module: `embedder`)
  path: string;
  parent: string | null;   // the enclosing block (null: the top level)
  blocks: string[];        // child blocks, in network order
  layers: string[];        // every layer under it, in network order
  out: string;             // the layer whose output leaves the block (its cut point)
  depth: number;
}

export interface Hierarchy {
  blocks: Map<string, Block>;       // by key
  top: string[];                    // top-level items: block keys and layer ids, in network order
  owner: Map<string, string | null>; // layer id -> its innermost block (null: top level)
}

const prefixes = (group: string) => group.split(".").map((_, i, a) => a.slice(0, i + 1).join("."));
export const blockKey = (path: string) => `blk:${path}`;

export function buildHierarchy(doc: NetworkSpec): Hierarchy {
  const count = new Map<string, number>();
  for (const n of doc.nodes) for (const p of n.group ? prefixes(n.group) : []) count.set(p, (count.get(p) ?? 0) + 1);
  // a path holding the same layers as its parent (`stages.0.layers` in `stages.0`) adds nothing: it is skipped
  const real = (p: string) => (count.get(p) ?? 0) >= 2;
  const blocks = new Map<string, Block>();
  const owner = new Map<string, string | null>();
  const top: string[] = [];
  const consumers = new Map<string, string[]>();
  for (const n of doc.nodes) for (const s of n.inputs ?? []) consumers.set(s, [...(consumers.get(s) ?? []), n.id]);
  const outputs = new Set(doc.outputs ?? []);
  for (const n of doc.nodes) {
    const chain: string[] = [];
    for (const p of n.group ? prefixes(n.group) : []) {
      if (!real(p)) break;
      const last = chain[chain.length - 1];
      if (!last || count.get(last) !== count.get(p)) chain.push(p);   // same layers (a container): the outer name
    }
    const keys = chain.map(blockKey);
    owner.set(n.id, keys[keys.length - 1] ?? null);
    keys.forEach((k, i) => {
      let b = blocks.get(k);
      if (!b) {
        b = { key: k, path: chain[i], parent: keys[i - 1] ?? null, blocks: [], layers: [], out: n.id, depth: i };
        blocks.set(k, b);
        if (i === 0) top.push(k); else blocks.get(keys[i - 1])!.blocks.push(k);
      }
      b.layers.push(n.id);
    });
    if (!chain.length) top.push(n.id);
  }
  for (const b of blocks.values()) {   // the block's output: the last layer read from outside it
    const inside = new Set(b.layers);
    const leaving = b.layers.filter((id) => outputs.has(id) || (consumers.get(id) ?? []).some((c) => !inside.has(c)));
    b.out = leaving[leaving.length - 1] ?? b.layers[b.layers.length - 1];
  }
  return { blocks, top, owner };
}

/** The blocks enclosing a layer (or a block), outermost first. */
export function ancestors(h: Hierarchy, id: string): string[] {
  let cur = h.blocks.has(id) ? h.blocks.get(id)!.parent : h.owner.get(id) ?? null;
  const out: string[] = [];
  while (cur) { out.unshift(cur); cur = h.blocks.get(cur)!.parent; }
  return out;
}

/** What stands for a layer on the canvas: its outermost collapsed block, or the layer itself. */
export function representative(h: Hierarchy, expanded: Set<string>, id: string): string {
  return ancestors(h, id).find((b) => !expanded.has(b)) ?? id;
}

/** The items drawn: layers and collapsed blocks (in network order), and the expanded blocks (drawn as frames). */
export function visibleItems(h: Hierarchy, expanded: Set<string>): { items: string[]; frames: string[] } {
  const items: string[] = [];
  const frames: string[] = [];
  const walk = (ids: string[]) => {
    for (const id of ids) {
      const b = h.blocks.get(id);
      if (!b) items.push(id);
      else if (!expanded.has(id)) items.push(id);
      else {
        frames.push(id);
        walk(childrenOf(h, b));
      }
    }
  };
  walk(h.top);
  return { items, frames };
}

/** A block's direct children (blocks and layers of its own), in network order. */
export function childrenOf(h: Hierarchy, b: Block): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of b.layers) {
    const rep = ancestors(h, id).concat(id).slice(b.depth + 1)[0] ?? id;
    if (!seen.has(rep)) { seen.add(rep); out.push(rep); }
  }
  return out;
}

/** The blocks opened at first: level by level while the canvas stays at most `limit` items, so a ResNet opens
 * on its stem, its stages and its classifier (and a block that holds one other block opens at once). */
export function initialExpanded(h: Hierarchy, limit = 12): Set<string> {
  const expanded = new Set<string>();
  let level = h.top.filter((id) => h.blocks.has(id));
  while (level.length) {
    const trial = new Set([...expanded, ...level]);
    if (expanded.size && visibleItems(h, trial).items.length > limit) {
      // still open the blocks that hold a single item: they change nothing but the depth
      const single = level.filter((p) => childrenOf(h, h.blocks.get(p)!).length === 1);
      if (!single.length) break;
      single.forEach((p) => expanded.add(p));
      level = single.flatMap((p) => h.blocks.get(p)!.blocks);
      continue;
    }
    level.forEach((p) => expanded.add(p));
    level = level.flatMap((p) => h.blocks.get(p)!.blocks);
  }
  return expanded;
}

/** A block's numbers for its box: layers, parameters, the shape entering and leaving it. */
export function blockSummary(analysis: Analysis | null, b: Block) {
  const params = b.layers.reduce((a, id) => a + (analysis?.params?.[id] ?? 0), 0);
  return { layers: b.layers.length, params, shape: analysis?.shapes?.[b.out] ?? undefined };
}

/** The name of an item relative to the frame it sits in (`layers.0` inside `encoder.stages.1`). */
export function shortName(h: Hierarchy, id: string, groupOf: (id: string) => string | null | undefined): string {
  const b = h.blocks.get(id);
  const path = b ? b.path : groupOf(id);
  const key = b ? b.parent : h.owner.get(id) ?? null;
  const parent = key ? h.blocks.get(key)!.path : null;
  if (!path) return id;
  if (!b && path === parent) return id;   // a layer of its block's own: its id says more than the block's name
  const rel = parent && path.startsWith(`${parent}.`) ? path.slice(parent.length + 1) : path;
  if (!/^\d/.test(rel)) return rel;
  const parts = path.split(".");   // `0` alone says little: from the last named part on (`stages.1.0`, `layers.3`)
  let i = parts.length - 1;
  while (i > 0 && /^\d+$/.test(parts[i])) i--;
  return parts.slice(i).join(".");
}

/** Layers, blocks and frames matching a search: id, type or module path containing the text, best first. */
export function search(doc: NetworkSpec, h: Hierarchy, text: string): string[] {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  const exact = doc.nodes.filter((n) => n.id.toLowerCase() === q).map((n) => n.id);
  const blocks = [...h.blocks.values()].filter((b) => b.path.toLowerCase() === q || b.path.toLowerCase().endsWith(`.${q}`))
    .map((b) => b.key);
  const loose = doc.nodes.filter((n) => [n.id, n.type, n.group ?? ""].some((s) => s.toLowerCase().includes(q)))
    .map((n) => n.id);
  return [...new Set([...exact, ...blocks, ...loose])];
}
