"""A new user's import: upload a zip of colour photos of mixed sizes on the Data page, look at the preview and
its warning, import it resized, and find it listed at its new shape."""
import shutil
from pathlib import Path

import pytest

from tests.data.test_data_faces import photo_zip_bytes

pytestmark = pytest.mark.browser
NOTES = Path("/work/wt/notes")


def keep(page, name: str) -> None:
    page.shot(name)
    if NOTES.is_dir():
        page.screenshot(path=str(NOTES / f"datafaces-{name}.png"), full_page=True)


def test_mixed_size_photos_preview_then_import_resized(page, tmp_path):
    zip_path = tmp_path / "holiday photos.zip"
    zip_path.write_bytes(photo_zip_bytes())
    page.goto("/#/data")
    page.get_by_label("Data set file").set_input_files(str(zip_path))
    preview = page.get_by_label("Import preview")
    summary = preview.get_by_label("Preview summary")
    summary.get_by_text("cat: 6 · dog: 6").wait_for()
    assert "zip" in summary.inner_text() and "2: cat, dog" in summary.inner_text()
    warning = preview.locator("[data-code=mixed_sizes]")
    assert "3 sizes" in warning.inner_text()
    assert preview.get_by_label("First images").locator("img").count() == 12
    assert preview.get_by_label("Resize").input_value() != ""   # prefilled with the commonest size
    keep(page, "preview")
    preview.get_by_label("Resize").fill("32,32")
    preview.get_by_label("Data set name").fill("holiday")
    preview.get_by_role("button", name="Import", exact=True).click()
    item = page.get_by_role("button", name="holiday")
    item.wait_for()
    assert "3x32x32" in item.inner_text()
    page.get_by_text("(3, 32, 32)").wait_for()
    assert preview.count() == 0
    keep(page, "imported")
    shutil.rmtree(tmp_path, ignore_errors=True)
