"""Several heads in the workbench: a second head added on a grafted model's foundation in the Design canvas,
a network with two heads trained from the Train page with one data set per head, and the Evaluate page asking
which head to test (offering that head's own task data)."""
import json

import pytest

from serving import _serve

pytestmark = pytest.mark.browser

PARITY = {"relabel": {"map": {i: i % 2 for i in range(10)}, "classes": ["even", "odd"]}}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A foundation, a grafted one-head network saved for the canvas, and a model with two heads."""
    import graft
    from graft.spec.graph import graft_network

    root = tmp_path_factory.mktemp("multihead")
    ws = graft.Workspace(root)
    net = {"name": "small", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
        {"id": "relu", "type": "ReLU", "inputs": ["conv"]},
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu"]},
        {"id": "flatten", "type": "Flatten", "inputs": ["pool"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flatten"]}]}
    base = graft.train(ws, net, {"dataset": "mnist", "transforms": [{"limit": 256}]}, {"epochs": 1}, name="base",
                       progress_bar=False)
    fnd = graft.slice(ws, base["id"], end="flatten", name="features")
    one = graft_network(fnd["spec"], fnd["id"], [{"id": "digits", "type": "Linear", "params": {"out_features": 10}}])
    saved = ws.create_network("one-head", one.model_dump(mode="json", exclude_none=True))
    two = {"name": "two-heads", "input": {"shape": [1, 28, 28]}, "outputs": ["digits", "parity"], "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]},
        {"id": "digits", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]},
        {"id": "parity", "type": "Linear", "params": {"out_features": 2}, "inputs": ["base"]}]}
    two_saved = ws.create_network("two-heads-net", two)
    heads = graft.train(ws, two, hparams={"epochs": 2, "lr": 0.01}, name="two-heads", progress_bar=False, tasks=[
        {"output": "digits", "data": {"dataset": "mnist", "transforms": [{"limit": 256}]}},
        {"output": "parity", "name": "odd_even",
         "data": {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}, PARITY]}}])
    return {"root": root, "saved": saved, "heads": heads, "two_saved": two_saved}


@pytest.fixture(scope="module")
def server(made):
    yield from _serve(made["root"])


def test_a_second_head_is_added_on_the_foundation_in_two_clicks(page, made):
    page.goto("/#/design")
    page.get_by_label("Open saved network").select_option(made["saved"]["id"])
    page.get_by_text("✓ valid").wait_for()
    page.once("dialog", lambda d: d.accept("2"))
    page.get_by_role("button", name="+ Head").click()
    page.get_by_text("2 heads").wait_for()
    page.get_by_text("✓ valid").wait_for()
    status = page.locator(".status-line").inner_text()
    assert "Added head head_1: outputs digits, head_1" in status
    page.shot("second-head")


def test_the_evaluate_page_asks_which_head_and_offers_its_task_data(page, made):
    heads = made["heads"]
    page.goto(f"/#/evaluate/{heads['id']}")
    head = page.get_by_label("Head", exact=True)
    head.locator("option").nth(1).wait_for(state="attached")
    assert head.locator("option").all_inner_texts() == ["digits", "odd_even (parity)"]
    head.select_option("parity")
    test_set = page.get_by_label("Test set")
    assert "odd_even's data" in test_set.locator("option:checked").inner_text()
    page.get_by_label("Test samples").fill("200")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_text("head parity").wait_for(timeout=60_000)
    assert "even" in page.get_by_label("Per-class result").inner_text()
    page.shot("parity-head-evaluated")


def test_the_train_page_asks_for_each_heads_data_and_trains_them_together(page, made):
    view = {"name": "odd-even", "ref": {"dataset": "mnist", "transforms": [{"limit": 128}, PARITY]}}
    page.goto("/#/train")
    page.evaluate(f"localStorage.setItem('graft-data-views', {json.dumps(json.dumps([view]))})")
    page.reload()
    page.get_by_label("Network", exact=True).select_option(f"saved:{made['two_saved']['id']}")
    page.get_by_label("Data for head parity").select_option("view:odd-even")
    page.get_by_label("Task mixing").select_option("proportional")
    page.get_by_label("Training samples").fill("128")
    page.get_by_label("epochs").fill("1")
    page.get_by_label("Model name").fill("heads-from-ui")
    page.shot("two-heads-form")
    page.get_by_role("button", name="Start training").click()
    page.locator(".card .page-head", has_text="heads-from-ui").locator(".badge.done").wait_for(timeout=120_000)
    models = [m for m in _api(page, "/models") if m["name"] == "heads-from-ui"]
    assert len(models) == 1
    tasks = {t["output"]: t["data"] for t in models[0]["tasks"]}
    assert any("relabel" in t for t in tasks["parity"]["transforms"])     # the odd/even view, JSON keys
    assert tasks["digits"]["transforms"] == [{"limit": 128}]
    assert models[0]["hparams"]["task_mixing"] == "proportional"
    page.shot("two-heads-trained")


def _api(page, path: str):
    from flows import api
    return api(page.url.split("/#")[0], path)
