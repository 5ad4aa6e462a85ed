"""A new user's import: upload a zip of colour photos of mixed sizes on the Data page, look at the preview and
its warning, import it resized with a test split, find it listed at its new shape, train a network on it and
evaluate the model on its test split."""
import shutil
from pathlib import Path

import pytest

from tests.data.test_data_faces import photo_zip_bytes
from tests.e2e.flows import api, evaluate, train

pytestmark = pytest.mark.browser
NOTES = Path("/work/wt/notes")


def keep(page, name: str) -> None:
    page.shot(name)
    if NOTES.is_dir():
        page.screenshot(path=str(NOTES / f"datafaces-{name}.png"), full_page=True)


def test_mixed_size_photos_preview_import_resized_train_evaluate(page, server, tmp_path):
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
    preview.get_by_label("Test fraction").fill("0.25")
    preview.get_by_role("button", name="Import", exact=True).click()
    item = page.get_by_role("button", name="holiday")
    item.wait_for()
    assert "3x32x32" in item.inner_text()
    page.get_by_text("(3, 32, 32)").wait_for()
    assert preview.count() == 0
    keep(page, "imported")
    ds = next(d for d in api(server, "/datasets") if d["name"] == "holiday")
    assert ds["sizes"] == {"train": 9, "test": 3}

    # a template network (drawn for 1x28x28, 10 classes) trains on the 3x32x32 photos of 2 classes as they are
    page.goto("/#/train")
    page.get_by_role("button", name="Start training").wait_for()
    train(page, "template:mlp", "holiday-mlp", None, dataset="holiday")
    model = next(m for m in api(server, "/models") if m["name"] == "holiday-mlp")
    assert model["input_shape"] == [3, 32, 32] and model["output_shape"] == [2] and model["dataset"]["dataset"] == ds["id"]
    keep(page, "trained")
    page.get_by_role("button", name="Open model →").click()
    evaluate(page, model["id"], None, dataset="holiday")
    ev = api(server, f"/evaluations/{page.url.rsplit('/', 1)[-1]}")
    assert ev["model_id"] == model["id"] and ev["total"] == 3 and ev["data"]["dataset"] == ds["id"]
    assert page.get_by_test_id("result-hit").inner_text() == str(ev["hit"])
    assert ev["classes"] == ["cat", "dog"] and len(ev["confusion"]) == 2   # predicts only the set's classes
    keep(page, "evaluated")
    shutil.rmtree(tmp_path, ignore_errors=True)
