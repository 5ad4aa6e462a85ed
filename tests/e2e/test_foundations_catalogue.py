"""The foundations catalogue in the browser: Models → Foundations catalogue lists each foundation, the models
grafted on it with their tasks and test accuracies, and tells a fine-tuned one from one on the exact weights."""
from __future__ import annotations

import pytest

from serving import _serve
from flows import api

pytestmark = [pytest.mark.browser]
DATA = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]}


def head_on(fid: str, frozen: bool) -> dict:
    return {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fid, "frozen": frozen}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A workspace with one foundation, a frozen head (evaluated) and a fine-tuned one, made before the server."""
    from graft.ops import evaluate_model, slice_model, train_model
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("catalogue-ws")
    ws = Workspace(root)
    base = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="relu1", name="digit-features")
    frozen = train_model(ws, head_on(fnd["id"], True), DATA, {"epochs": 1}, name="digits-frozen", progress_bar=False)
    train_model(ws, head_on(fnd["id"], False), DATA, {"epochs": 1}, name="digits-tuned", progress_bar=False)
    evaluate_model(ws, frozen["id"], {"dataset": "mnist", "split": "test", "transforms": [{"limit": 200}]})
    del ws
    yield from _serve(root)


def test_the_catalogue_shows_who_uses_each_foundation_and_whose_weights_moved(page, server):
    entries = api(server, "/foundations")
    fnd = entries[0]
    frozen = next(m for m in fnd["models"] if m["name"] == "digits-frozen")
    page.goto("/#/models")
    page.get_by_role("tab", name="Foundations catalogue").click()
    card = page.get_by_label("Foundation digit-features")
    card.get_by_text("2 model(s)").wait_for()
    rows = card.get_by_role("table", name="Models on digit-features")
    assert rows.get_by_role("row", name="digits-frozen").get_by_text("exact weights").is_visible()
    assert rows.get_by_role("row", name="digits-tuned").get_by_text("fine-tuned").is_visible()
    assert page.get_by_test_id(f"catalogue-accuracy-{frozen['id']}").inner_text() == f"{frozen['accuracy'] * 100:.2f}%"
    assert rows.get_by_role("row", name="digits-tuned").get_by_text("not evaluated").is_visible()
    page.shot("catalogue")
    rows.get_by_role("row", name="digits-frozen").click()           # a row opens the model
    page.get_by_role("heading", name="digits-frozen").wait_for()
    assert page.url.endswith(f"#/models/{frozen['id']}")
