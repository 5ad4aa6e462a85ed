const MAX_DRAWN = 40;    // classes a heatmap draws; above it a list of the largest confusions (n² cells freeze a tab)
const TOP = 15;

type Props = {
  matrix: number[][]; classes: string[]; selected: [number, number] | null; onSelect: (cell: [number, number] | null) => void;
};

/** The off-diagonal cells with the most samples, largest first. */
function topConfusions(matrix: number[][], k: number): [number, number, number][] {
  const top: [number, number, number][] = [];
  matrix.forEach((row, i) => row.forEach((v, j) => {
    if (i === j || v === 0 || (top.length === k && v <= top[k - 1][2])) return;
    top.push([i, j, v]);
    top.sort((a, b) => b[2] - a[2]);
    if (top.length > k) top.pop();
  }));
  return top;
}

function ConfusionList({ matrix, classes, selected, onSelect }: Props) {
  const top = topConfusions(matrix, TOP);
  const name = (i: number) => classes[i] ?? String(i);
  return (
    <div className="card" style={{ overflow: "auto" }}>
      <h2>Largest confusions</h2>
      <p className="muted small" style={{ marginTop: 0 }} data-testid="confusion-too-big">
        {matrix.length} classes: too many to draw as a matrix. The {top.length} most frequent mistakes; click one to list those images.</p>
      <table aria-label="Largest confusions">
        <thead><tr><th>True</th><th>Predicted</th><th className="num">Images</th></tr></thead>
        <tbody>{top.map(([i, j, v]) => {
          const sel = selected?.[0] === i && selected?.[1] === j;
          return <tr key={`${i}-${j}`} className={`clickable ${sel ? "selected" : ""}`} onClick={() => onSelect(sel ? null : [i, j])}>
            <td>{name(i)}</td><td>{name(j)}</td><td className="num">{v}</td></tr>;
        })}
        {top.length === 0 && <tr><td colSpan={3} className="muted">No mistakes.</td></tr>}</tbody>
      </table>
    </div>
  );
}

/** Confusion heatmap: rows true label, columns prediction; clicking a cell selects those samples. */
export default function ConfusionMatrix(props: Props) {
  const { matrix, classes, selected, onSelect } = props;
  if (matrix.length > MAX_DRAWN) return <ConfusionList {...props} />;
  const rowTotals = matrix.map((r) => r.reduce((a, b) => a + b, 0) || 1);
  return (
    <div className="card" style={{ overflow: "auto" }}>
      <h2>Confusion matrix</h2>
      <p className="muted small" style={{ marginTop: 0 }}>Rows: true class · columns: predicted. Click a cell to list those images.</p>
      <table className="heatmap" aria-label="Confusion matrix">
        <thead><tr><th />{matrix[0]?.map((_, j) => <th key={j} title={classes[j]}>{classes[j] ?? j}</th>)}</tr></thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={i}>
              <th title={classes[i]}>{classes[i] ?? i}</th>
              {row.map((v, j) => {
                const f = v / rowTotals[i];
                const hue = i === j ? "140, 60%" : "0, 75%";
                const sel = selected?.[0] === i && selected?.[1] === j;
                return (
                  <td key={j} className={sel ? "sel" : ""} title={`true ${classes[i] ?? i}, predicted ${classes[j] ?? j}: ${v}`}
                      style={{ background: v ? `hsla(${hue}, 45%, ${0.12 + 0.88 * Math.sqrt(f)})` : "var(--panel-2)" }}
                      onClick={() => onSelect(sel ? null : [i, j])} data-testid={`cm-${i}-${j}`}>
                    {v}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
