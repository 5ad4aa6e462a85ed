"""A model trained with `resize` shows what its network sees: the Models page names the preprocessing and the
evaluation's sample thumbnails are at the network's input size, not the data set's."""
import pytest

from serving import _serve
from flows import evaluate

pytestmark = pytest.mark.browser

FITTED = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}], "resize": [20, 12], "fit": "pad"}
NET = {"name": "narrow", "input": {"shape": [1, 20, 12]}, "nodes": [
    {"id": "flat", "type": "Flatten", "inputs": ["input"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from graft.ops import train_model
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("fitted")
    model = train_model(Workspace(root), NET, FITTED, {"epochs": 1}, name="narrow", progress_bar=False)
    return {"root": root, "model": model}


@pytest.fixture(scope="module")
def server(made):
    yield from _serve(made["root"])


def test_previews_are_at_the_networks_input_size(page, made):
    model = made["model"]
    page.goto(f"/#/models/{model['id']}")
    facts = page.get_by_test_id("model-preprocessing")
    facts.wait_for()
    assert "resized to 20×12 (letterbox pad)" in facts.inner_text()
    page.shot("model-facts")
    evaluate(page, model["id"], 40)
    img = page.get_by_label("Per-sample results").locator("tbody tr img").first
    img.wait_for()
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [12 * 2, 20 * 2]   # ?scale=2, not 28x28
    img.scroll_into_view_if_needed()
    page.shot("fitted-samples")
