"""The synergy report's plot in each workbench theme: the bars the same, the background and text the theme's."""
import io

import pytest
from PIL import Image

from graft.ops.report import report_png

REPORT = {"kind": "synergy", "foundation_name": "enc", "epochs": 1, "alone_seconds": 3.0, "together_seconds": 2.5,
          "hparams": {"foundation_training": "frozen"},
          "rows": [{"name": "digits", "alone": {"accuracy": 0.91}, "together": {"accuracy": 0.93}, "difference": 0.02},
                   {"name": "fashion", "alone": {"accuracy": 0.80}, "together": {"accuracy": 0.78},
                    "difference": -0.02}]}


def pixels(theme: str) -> Image.Image:
    return Image.open(io.BytesIO(report_png(REPORT, theme=theme))).convert("RGB")


def test_the_dark_plot_has_a_dark_background_and_the_same_bars():
    light, dark = pixels("light"), pixels("dark")
    assert light.getpixel((2, 2)) == (255, 255, 255) and sum(dark.getpixel((2, 2))) < 200
    bar = (180, 330)     # inside the first task's orange bar ("alone": x 162-198 down to y 340)
    assert light.getpixel(bar) == dark.getpixel(bar) == (255, 127, 14)


def test_an_unknown_theme_is_named():
    with pytest.raises(ValueError, match="theme: expected one of light, dark, found 'sepia'"):
        report_png(REPORT, theme="sepia")
