/** A point of a run's history or live curve (the run record keeps them as free objects). */
export interface MetricPoint {
  train_loss?: number;
  train_accuracy?: number;
  epoch?: number;
  step?: number;
  loss?: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

const W = 520, H = 200, PAD = 34;

/** Loss (left axis) and accuracy (right axis, 0..1) over steps or epochs, as a small SVG chart. */
export default function Curves({ points }: { points: MetricPoint[] }) {
  if (points.length === 0) return <div className="empty small">Curves appear after the first logged step.</div>;
  const xs = points.map((p, i) => p.step ?? p.epoch ?? i);
  const fractional = xs.some((x) => !Number.isInteger(x));   // live points within epochs: the axis starts at 0
  const [x0, x1] = [fractional ? 0 : Math.min(...xs), Math.max(...xs) || 1];
  const losses = points.flatMap((p) => [p.loss, p.val_loss]).filter((v): v is number => typeof v === "number");
  const lmax = Math.max(...losses, 1e-6);
  const sx = (x: number) => PAD + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * PAD);
  const sl = (v: number) => H - PAD + 10 - (v / lmax) * (H - PAD - 10);
  const sa = (v: number) => H - PAD + 10 - v * (H - PAD - 10);
  const line = (key: keyof MetricPoint, scale: (v: number) => number) =>
    points.map((p, i) => [xs[i], p[key]] as const).filter(([, v]) => typeof v === "number")
      .map(([x, v], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${scale(v as number).toFixed(1)}`).join(" ");
  const series: [keyof MetricPoint, (v: number) => number, string, string?][] = [
    ["loss", sl, "#e06c3c"], ["val_loss", sl, "#e06c3c", "4 3"],
    ["accuracy", sa, "#2f9e6b"], ["val_accuracy", sa, "#2f9e6b", "4 3"],
  ];
  const trained = points.filter((p) => typeof p.loss === "number");
  const last = trained[trained.length - 1] ?? points[points.length - 1];
  const validated = points.filter((p) => typeof p.val_accuracy === "number");
  const lastVal = validated[validated.length - 1];
  return (
    <div className="chart" aria-label="Training curves">
      <svg viewBox={`0 0 ${W} ${H}`} role="img">
        <line className="axis" x1={PAD} y1={H - PAD + 10} x2={W - PAD} y2={H - PAD + 10} />
        <line className="axis" x1={PAD} y1={10} x2={PAD} y2={H - PAD + 10} />
        <text x={4} y={16}>{lmax.toFixed(2)}</text><text x={4} y={H - PAD + 10}>0</text>
        <text x={W - PAD + 4} y={16}>100%</text>
        <text x={PAD} y={H - 6}>{x0}</text><text x={W - 4} y={H - 6} textAnchor="end">{Number.isInteger(x1) ? x1 : x1.toFixed(2)} {points[0].step !== undefined ? "steps" : x1 === 1 ? "epoch" : "epochs"}</text>
        {series.map(([k, s, c, dash]) => <path key={k} d={line(k, s)} fill="none" stroke={c} strokeWidth={2} strokeDasharray={dash} />)}
        {points.length <= 40 && series.flatMap(([k, s, c]) => points.map((p, i) => typeof p[k] === "number" && (
          // dots, so that a run with a single logged epoch still shows where it ended
          <circle key={`${k}-${i}`} cx={sx(xs[i])} cy={s(p[k] as number)} r={3} fill={c} />)))}
      </svg>
      <div className="status-line">
        <span style={{ color: "#e06c3c" }}>— loss {last.loss?.toFixed(4) ?? ""}</span>
        <span style={{ color: "#2f9e6b" }} title="on the training batches as they were trained, not a test figure">— train acc {last.accuracy !== undefined ? `${(last.accuracy * 100).toFixed(2)}%` : ""}</span>
        {lastVal && <span style={{ color: "#2f9e6b" }} data-testid="val-accuracy">- - val acc {((lastVal.val_accuracy as number) * 100).toFixed(2)}% (epoch {lastVal.epoch})</span>}
      </div>
    </div>
  );
}
