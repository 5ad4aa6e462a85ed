"""The synergy report's plot: per task, test accuracy alone (orange) and together (blue), with the difference
written above each pair (green when joint training helped, red when it hurt)."""
from __future__ import annotations

import io
import math

ALONE, TOGETHER = (255, 127, 14), (31, 119, 180)
HELPED, HURT = (44, 160, 44), (214, 39, 40)


PALETTES = {"light": {"bg": "white", "fg": "black", "muted": (90, 90, 90)},      # the workbench's two themes
            "dark": {"bg": (26, 31, 39), "fg": (229, 233, 240), "muted": (154, 165, 181)}}


def synergy_png(report: dict, size: tuple[int, int] = (640, 400), palette: dict | None = None) -> bytes:
    """`palette`: the background, text and muted colours (PALETTES; light by default)."""
    from PIL import Image, ImageDraw

    pal = palette or PALETTES["light"]
    fg = pal["fg"]

    w, h = size
    left, right, top, bottom = 60, 20, 50, 60
    img = Image.new("RGB", size, pal["bg"])
    d = ImageDraw.Draw(img)
    rows = report["rows"]
    accs = [r[k]["accuracy"] for r in rows for k in ("alone", "together")]
    lo = max(0.0, math.floor(min(accs, default=0.0) * 10) / 10 - 0.1)
    span = max(1.0 - lo, 1e-6)

    def y(acc: float) -> float:
        return h - bottom - (h - top - bottom) * (acc - lo) / span

    d.rectangle([left, top, w - right, h - bottom], outline=fg)
    for k in range(11):
        acc = lo + span * k / 10
        d.line([left - 4, y(acc), left, y(acc)], fill=fg)
        d.text((4, y(acc) - 6), f"{acc:.0%}", fill=fg)
    slot = (w - left - right) / max(len(rows), 1)
    bar = min(40.0, slot / 3)
    for i, r in enumerate(rows):
        x = left + slot * (i + 0.5)
        for j, (key, colour) in enumerate((("alone", ALONE), ("together", TOGETHER))):
            x0 = x - bar + j * bar
            d.rectangle([x0 + 2, y(r[key]["accuracy"]), x0 + bar - 2, h - bottom], fill=colour)
        diff = r["difference"] * 100
        text = f"{diff:+.2f} pt"
        d.text((x - d.textlength(text) / 2, y(max(r["alone"]["accuracy"], r["together"]["accuracy"])) - 16), text,
               fill=HELPED if diff > 0 else HURT if diff < 0 else fg)
        d.text((x - d.textlength(r["name"]) / 2, h - bottom + 8), r["name"], fill=fg)
    hp = report.get("hparams") or {}
    d.text((left, 10), f"{report.get('foundation_name', '')}: test accuracy per task, alone and together "
                       f"({report['epochs']} epochs each, foundation {hp.get('foundation_training', '?')})",
           fill=fg)
    d.text((left, 26), f"time: alone {report['alone_seconds']:.1f} s in all, together "
                       f"{report['together_seconds']:.1f} s", fill=fg)
    x = left
    for text, colour in (("orange: alone", ALONE), ("blue: together", TOGETHER),
                         ("green/red: difference (together - alone)", pal["muted"])):
        d.text((x, h - 22), text, fill=colour)
        x += int(d.textlength(text)) + 24
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
