/** Confusion heatmap: rows true label, columns prediction; clicking a cell selects those samples. */
export default function ConfusionMatrix({ matrix, classes, selected, onSelect }: {
  matrix: number[][]; classes: string[]; selected: [number, number] | null; onSelect: (cell: [number, number] | null) => void;
}) {
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
