"""The seed workflow from an empty workspace to the results table, on reduced data, through the UI."""
import json
import re
import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SMALL = "{dataset: mnist, transforms: [{limit: 2000}]}"
SMALL_TEST = "{dataset: mnist, split: test, transforms: [{limit: 500}]}"


def reduced(seed: str) -> str:
    text = re.sub(r"data: mnist\b", f"data: {SMALL}", seed)
    text = text.replace("data: {dataset: mnist, split: test}", f"data: {SMALL_TEST}")
    return re.sub(r"epochs: \d+", "epochs: 1", text)


def test_seed_workflow_to_results_table(page, server):
    page.goto("/#/workflow")
    page.get_by_text("No workflows yet").wait_for()
    page.shot("empty")
    page.get_by_role("button", name="New from seed").click()
    editor = page.get_by_label("Workflow YAML")
    editor.wait_for()
    with urllib.request.urlopen(f"{server}/api/examples/mnist_transfer") as r:
        seed = json.load(r)
    assert editor.input_value() == seed["yaml"]  # the page offers the packaged seed the API serves, not a copy
    editor.fill(reduced(seed["yaml"]))
    page.get_by_role("button", name="Save").click()
    page.shot("seed-reduced")
    page.get_by_role("button", name="▶ Run all").click()
    page.locator("[data-testid=step-test] .badge.done").wait_for(timeout=240_000)
    page.locator("[data-testid=step-view] .badge.done, [data-testid=step-view] .badge.cached").wait_for(timeout=60_000)
    page.shot("workflow-done")
    page.locator("[data-testid=step-test]").get_by_role("button", name="Open result").click()
    page.get_by_test_id("result-total").wait_for()
    page.shot("results")
    ev_id = page.url.rsplit("/", 1)[-1]
    with urllib.request.urlopen(f"{server}/api/evaluations/{ev_id}") as r:
        ev = json.load(r)
    assert page.get_by_test_id("result-total").inner_text() == str(ev["total"]) == "500"
    assert page.get_by_test_id("result-hit").inner_text() == str(ev["hit"])
    assert page.get_by_test_id("result-accuracy").inner_text() == f"{ev['accuracy'] * 100:.2f}%"
    # page the per-sample table to its end
    nxt = page.get_by_role("button", name="Next →").last
    while nxt.is_enabled():
        nxt.click()
        page.wait_for_timeout(100)
    page.get_by_text("[EOF]").wait_for()
    page.shot("eof")
    # the grafted model's lineage says its frozen foundation kept its weights
    page.goto(f"/#/models/{ev['model_id']}")
    page.get_by_test_id(f"lineage-{ev['model_id']}").get_by_text("base: unchanged").wait_for()
    page.shot("lineage")
