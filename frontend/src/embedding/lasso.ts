// The pure geometry of the embedding view: fitting points to the canvas, the point under the pointer, the
// points a lasso encloses, and the colours of labels.

export type Pt = [number, number];

/** Whether `p` lies inside the polygon `poly` (ray casting; the polygon closes itself, needs 3+ corners). */
export function pointInPolygon(p: Pt, poly: Pt[]): boolean {
  if (poly.length < 3) return false;
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Indices of the `points` inside the lasso `poly` (a bounding-box test first: most points are far away). */
export function pointsInPolygon(points: Pt[], poly: Pt[]): number[] {
  if (poly.length < 3) return [];
  const xs = poly.map((q) => q[0]);
  const ys = poly.map((q) => q[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const out: number[] = [];
  points.forEach((p, i) => {
    if (p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1 && pointInPolygon(p, poly)) out.push(i);
  });
  return out;
}

/** The area of a polygon (shoelace): a drag that encloses almost nothing is a click, not a lasso. */
export function polygonArea(poly: Pt[]): number {
  let a = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) a += (poly[j][0] + poly[i][0]) * (poly[j][1] - poly[i][1]);
  return Math.abs(a) / 2;
}

/** The index of the point nearest `p` within `radius`, or -1. */
export function nearest(points: Pt[], p: Pt, radius: number): number {
  let best = -1;
  let bestD = radius * radius;
  points.forEach((q, i) => {
    const d = (q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2;
    if (d <= bestD) { best = i; bestD = d; }
  });
  return best;
}

/** Data coordinates to screen pixels: the same scale on both axes (distances mean the same either way), centred,
 * `pad` pixels clear of the edges, y up. */
export function fitToScreen(points: Pt[], width: number, height: number, pad: number): Pt[] {
  if (points.length === 0) return [];
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const spanX = x1 - x0 || 1;
  const spanY = y1 - y0 || 1;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return points.map(([x, y]) => [width / 2 + (x - cx) * scale, height / 2 - (y - cy) * scale]);
}

// Tableau 10 (as the server's PNG of a map), then evenly spread hues for more classes.
const TABLEAU = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function labelColour(label: number, classes: number): string {
  if (classes <= TABLEAU.length) return TABLEAU[label % TABLEAU.length];
  return `hsl(${Math.round((label * 360) / classes)}, 65%, 50%)`;
}

export const RIGHT = "#2ca02c";
export const WRONG = "#d62728";
