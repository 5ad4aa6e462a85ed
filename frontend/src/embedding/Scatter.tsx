import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { fitToScreen, nearest, pointsInPolygon, polygonArea, type Pt } from "./lasso";

const PAD = 16;
const HOVER_RADIUS = 8;

export interface ScatterProps {
  points: Pt[];
  colours: string[];          // one per point
  selected: Set<number>;
  onHover: (point: number, at: Pt | null) => void;   // -1 when the pointer is over no point
  onSelect: (points: number[]) => void;
  height?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** 2,000 points on one canvas: drawn again only when what shows changes (the lasso's outline in the same frame);
 * hover is the nearest point in screen pixels, a drag draws a lasso. */
export default function Scatter({ points, colours, selected, onHover, onSelect, height = 480 }: ScatterProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [hovered, setHovered] = useState(-1);
  const lasso = useRef<Pt[] | null>(null);
  const frame = useRef(0);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const screen = useMemo(() => fitToScreen(points, width, height, PAD), [points, width, height]);

  const draw = useCallback(() => {
    const c = canvas.current;
    const ctx = c?.getContext("2d");
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== width * dpr || c.height !== height * dpr) { c.width = width * dpr; c.height = height * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = cssVar("--panel") || "#fff";
    ctx.fillRect(0, 0, width, height);
    const dimmed = selected.size > 0;
    ctx.globalAlpha = dimmed ? 0.25 : 0.85;
    screen.forEach(([x, y], i) => {
      if (dimmed && selected.has(i)) return;
      ctx.fillStyle = colours[i];
      ctx.fillRect(x - 2.5, y - 2.5, 5, 5);
    });
    ctx.globalAlpha = 1;
    if (dimmed) {
      ctx.strokeStyle = cssVar("--text") || "#000";
      ctx.lineWidth = 1;
      selected.forEach((i) => {
        const [x, y] = screen[i];
        ctx.fillStyle = colours[i];
        ctx.fillRect(x - 3, y - 3, 6, 6);
        ctx.strokeRect(x - 3, y - 3, 6, 6);
      });
    }
    if (hovered >= 0 && screen[hovered]) {
      const [x, y] = screen[hovered];
      ctx.strokeStyle = cssVar("--text") || "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const path = lasso.current;
    if (path && path.length > 1) {
      ctx.strokeStyle = cssVar("--accent") || "#2f6fdb";
      ctx.fillStyle = cssVar("--accent-soft") || "rgba(47,111,219,0.1)";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      path.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.globalAlpha = 0.35;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }, [screen, colours, selected, hovered, width, height]);

  const redraw = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(draw);
  }, [draw]);

  useEffect(() => {
    redraw();
    // the theme changes the canvas's colours: draw again when it flips
    const mo = new MutationObserver(redraw);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => { mo.disconnect(); cancelAnimationFrame(frame.current); };
  }, [redraw]);

  const at = (e: React.PointerEvent): Pt => {
    const r = canvas.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  return (
    <div ref={wrap} style={{ width: "100%" }}>
      <canvas
        ref={canvas}
        role="img"
        aria-label="Embedding map: hover a point for its image, drag to lasso a group"
        data-testid="embedding-canvas"
        style={{ width, height, display: "block", cursor: "crosshair", touchAction: "none", borderRadius: 6 }}
        onPointerDown={(e) => {
          canvas.current!.setPointerCapture(e.pointerId);
          lasso.current = [at(e)];
          setHovered(-1);
          onHover(-1, null);      // the tooltip would hide what the lasso encloses
        }}
        onPointerMove={(e) => {
          const p = at(e);
          const path = lasso.current;
          if (path) {
            const last = path[path.length - 1];
            if ((last[0] - p[0]) ** 2 + (last[1] - p[1]) ** 2 > 4) { path.push(p); redraw(); }
            return;
          }
          const i = nearest(screen, p, HOVER_RADIUS);
          if (i !== hovered) setHovered(i);
          onHover(i, i >= 0 ? screen[i] : null);
        }}
        onPointerUp={(e) => {
          const path = lasso.current;
          lasso.current = null;
          if (!path) return;
          if (path.length >= 3 && polygonArea(path) > 16) onSelect(pointsInPolygon(screen, path));
          else {
            const i = nearest(screen, at(e), HOVER_RADIUS);
            onSelect(i >= 0 ? [i] : []);   // a click: that one point, or (on empty space) none
          }
          redraw();
          setHovered(-1);
          onHover(-1, null);
        }}
        onPointerLeave={() => { if (!lasso.current) { setHovered(-1); onHover(-1, null); } }}
      />
    </div>
  );
}
