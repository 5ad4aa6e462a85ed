/** How a model's inputs are prepared (its training data reference's convert, resize + fit, mean + std), in words;
 *  null when the data went in as it is. */
export function preprocessingText(dataset: unknown): string | null {
  const d = (dataset ?? {}) as { convert?: string; resize?: number[]; fit?: string; mean?: number[]; std?: number[] };
  const parts: string[] = [];
  if (d.convert) parts.push(d.convert === "rgb" ? "grey copied to RGB" : "luminance (grey)");
  if (d.resize?.length === 2) parts.push(`resized to ${d.resize[0]}×${d.resize[1]} (${d.fit === "pad" ? "letterbox pad" : "centre crop"})`);
  if (d.mean && d.std) parts.push(`mean ${d.mean.map((v) => +v.toFixed(3)).join("/")} std ${d.std.map((v) => +v.toFixed(3)).join("/")}`);
  return parts.length ? parts.join(" · ") : null;
}
