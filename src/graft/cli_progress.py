"""What `graft train` / `pretrain` print while they run: one line per epoch above the progress bar, a summary."""
from __future__ import annotations

from typing import Any, Callable


def epoch_line(row: dict[str, Any], epochs: int | None) -> str:
    """`epoch 2/5  loss 0.2143  acc 93.41%  val_acc 95.10%  4.2 s` (the figures the row has)."""
    parts = [f"epoch {row.get('epoch', '?')}/{epochs or '?'}"]
    loss = row.get("train_loss", row.get("loss"))
    if isinstance(loss, (int, float)):
        parts.append(f"loss {loss:.4f}")
    for key, label in (("train_accuracy", "acc"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc")):
        value = row.get(key)
        if isinstance(value, (int, float)):
            parts.append(f"{label} {value * 100:.2f}%" if key.endswith("accuracy") else f"{label} {value:.4f}")
    if isinstance(row.get("seconds"), (int, float)):
        parts.append(f"{row['seconds']:.1f} s")
    return "  ".join(parts)


def epoch_printer(epochs: int | None, quiet: bool) -> Callable[[dict], None] | None:
    """An on_epoch callback printing each epoch's line without breaking the progress bar; None when quiet."""
    if quiet:
        return None
    from tqdm import tqdm

    def on_epoch(row: dict) -> None:
        tqdm.write(epoch_line(row, epochs))
    return on_epoch


def train_summary(rec: dict[str, Any]) -> str:
    """The lines after a training: what was registered, its last epoch's figures, time and throughput."""
    m = rec.get("metrics") or {}
    lines = [f"registered {rec['kind']} {rec['id']} ({rec['name']})"]
    figures = []
    if isinstance(m.get("train_loss"), (int, float)):
        figures.append(f"train loss {m['train_loss']:.4f}")
    if isinstance(m.get("train_accuracy"), (int, float)):
        figures.append(f"train acc (epoch mean) {m['train_accuracy'] * 100:.2f}%")
    if isinstance(m.get("val_accuracy"), (int, float)):
        figures.append(f"val acc {m['val_accuracy'] * 100:.2f}%")
    if figures:
        lines.append("  " + ", ".join(figures))
    epochs = len(m.get("history") or [])
    if isinstance(m.get("seconds"), (int, float)):
        speed = f", {m['samples_per_s']:.0f} samples/s" if m.get("samples_per_s") else ""
        lines.append(f"  {epochs} epoch(s) in {m['seconds']:.1f} s{speed}")
    if m.get("feature_cache") in ("hit", "miss"):
        lines.append("  the head trained on cached features of its frozen foundation "
                     f"(cache {m['feature_cache']})")
    if rec.get("params") is not None:
        lines.append(f"  {rec['params']:,} parameters")
    return "\n".join(lines)
