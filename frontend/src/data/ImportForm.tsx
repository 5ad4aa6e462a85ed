/** Pick a data set file; the preview (ImportPreview) shows what it holds before anything is registered. */
export default function ImportForm({ onFile }: { onFile: (f: File) => void }) {
  return (
    <div className="card list" style={{ gap: 8 }}>
      <h2>Import a data set</h2>
      <p className="muted small" style={{ margin: 0 }}>
        A .zip of IDX files (MNIST family), a CSV (a label column and pixels), an .npz (images, labels), a Hugging Face
        .parquet file (an image and a label column) or a .zip of its datasets folder (save_to_disk or .parquet files), or a .zip of class folders of images (train/ and test/ kept). You see a preview first.
      </p>
      <input type="file" aria-label="Data set file" accept=".zip,.csv,.npz,.parquet,.gz,.idx,.ubyte"
             onChange={(e) => { const f = e.target.files?.[0]; if (f) onFile(f); e.target.value = ""; }} />
    </div>
  );
}
