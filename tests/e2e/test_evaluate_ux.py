"""The Evaluate, Models and Train pages as a person uses them: no foundation offered for evaluation, no result
that freezes the tab, samples paged and filtered, one meaning of accuracy, plain statuses and facts."""
import re

import numpy as np
import pytest

from serving import _serve
from flows import SMALL_CNN, TINY, api, small_models

pytestmark = pytest.mark.browser

TEST = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 200}]}
BIG = 2000   # classes of an oversized evaluation (the one that froze a tab had 3118)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A workspace with a model, its foundation, a head grafted on it, evaluations and a cancelled run."""
    from graft.ops import evaluate_model
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("uxeval")
    ws = Workspace(root)
    made = small_models(ws, TINY)
    ws.create_network("grafted", made["doc"])
    head = made["head"]
    n = 64
    rng = np.random.default_rng(0)
    big = ws.evaluations.add({"model_id": head["id"], "data": {**TEST, "transforms": [{"limit": n}]}, "summary": {
        "model_name": "oversized", "total": n, "hit": 0, "accuracy": 0.0, "classes": [f"c{i}" for i in range(BIG)],
        "per_class": [{"class": f"c{i}", "label": i, "total": 0, "hit": 0, "accuracy": 0.0} for i in range(BIG)],
        "confusion": np.eye(BIG, k=1, dtype=np.int64).tolist()}}, predictions={
        "labels": rng.integers(0, BIG, n), "preds": rng.integers(0, BIG, n), "confidences": rng.random(n).astype("float32")})
    ev = evaluate_model(ws, head["id"], TEST)   # newer than the oversized one: the head's test accuracy
    stopped = ws.runs.create("train", {"network": SMALL_CNN, "data": TINY}, name="stopped", status="running")
    ws.runs.update(stopped["id"], status="cancelled", error="cancelled")
    return {"root": root, "base": made["base"], "fnd": made["fnd"], "head": head, "ev": ev, "big": big}


@pytest.fixture(scope="module")
def server(made):
    yield from _serve(made["root"])


def test_a_foundation_is_not_offered_for_evaluation(page, made):
    fnd, head = made["fnd"], made["head"]
    page.goto(f"/#/models/{fnd['id']}")
    page.get_by_role("heading", name="features").wait_for()
    assert page.get_by_role("button", name="Evaluate →").count() == 0
    page.goto(f"/#/evaluate/{fnd['id']}")
    page.get_by_role("status").filter(has_text="is a foundation").wait_for()
    options = page.get_by_label("Model", exact=True).locator("option").all_inner_texts()
    assert not any(fnd["id"] in o for o in options) and any(head["id"] in o for o in options)
    page.shot("foundation-refused")


def test_an_oversized_evaluation_opens_without_freezing(page, made):
    page.goto(f"/#/evaluate/{made['big']['id']}")
    page.get_by_test_id("confusion-too-big").wait_for(timeout=15_000)
    per_class = page.get_by_label("Per-class result")
    assert per_class.locator("tbody tr").count() == 25
    assert page.get_by_test_id("per-class-page").inner_text() == f"page 1 of {BIG // 25}"
    assert page.locator("table.heatmap").count() == 0
    page.get_by_label("Largest confusions").locator("tbody tr").first.click()
    page.get_by_role("heading", name=re.compile("Samples")).get_by_text("true c").wait_for()
    page.shot("oversized")
    page.goto("/#/evaluate")
    page.get_by_label("Past evaluations").get_by_text("oversized").wait_for()


def test_samples_page_jump_mistakes_only_and_sort(page, made, server):
    ev = made["ev"]
    page.goto(f"/#/evaluate/{ev['id']}")
    pages = -(-ev["total"] // 20)
    label = page.get_by_test_id("samples-page")
    label.filter(has_text=f"page 1 of {pages}").wait_for()
    page.get_by_label("Jump to samples page").fill("3")
    page.get_by_label("Jump to samples page").press("Enter")
    label.filter(has_text=f"page 3 of {pages}").wait_for()
    page.get_by_label("Mistakes only").check()
    wrong = ev["total"] - ev["hit"]
    label.filter(has_text=f"page 1 of {max(1, -(-wrong // 20))}").wait_for()
    rows = page.get_by_label("Per-sample results").locator("tbody tr:has(img)")
    assert rows.count() == min(20, wrong) and rows.count() == page.locator("tbody tr.miss").count()
    page.get_by_label("Sort samples").select_option("confidence")
    page.wait_for_function("""() => { const c = [...document.querySelectorAll('[aria-label="Per-sample results"] tbody tr')]
        .map(r => r.cells[4]?.innerText).filter(t => t && t.endsWith('%')).map(parseFloat);
        return c.length > 1 && c.every((v, i) => !i || c[i - 1] <= v); }""")
    img = rows.first.locator("img")
    assert img.evaluate("i => [i.width, getComputedStyle(i).imageRendering]") == [56, "pixelated"]
    page.shot("samples-mistakes")
    # a workflow's view step with `wrong: true` opens the evaluation with the mistakes only
    page.goto(f"/#/evaluate/{ev['id']}:wrong")
    page.get_by_label("Mistakes only").wait_for()
    assert page.get_by_label("Mistakes only").is_checked()


def test_models_say_which_accuracy_and_what_trained(page, made, server):
    head, base, ev = made["head"], made["base"], made["ev"]
    page.goto(f"/#/models/{head['id']}")
    cell = page.get_by_test_id(f"accuracy-{head['id']}")
    assert cell.inner_text() == f"{ev['accuracy'] * 100:.2f}% test"
    assert "train acc (epoch mean)" in page.get_by_test_id(f"accuracy-{base['id']}").inner_text()
    split = page.get_by_test_id("param-split").inner_text()
    frozen = made["fnd"]["params"]
    assert f"{head['params'] - frozen} trainable" in split.replace(",", "") and "frozen" in split
    page.get_by_test_id("cached-features").wait_for()
    page.get_by_test_id(f"lineage-{head['id']}").get_by_text("test").wait_for()
    page.get_by_role("button", name="Model card").click()
    card = page.get_by_label("Model card")
    card.get_by_role("heading", name="head").wait_for()
    assert "# head" not in card.inner_text() and card.locator("table").count() >= 1
    page.shot("model-facts")


def test_train_page_statuses_links_and_offers(page, made, server):
    page.goto("/#/train")
    page.get_by_text("stopped").first.click()
    page.get_by_role("status").filter(has_text="Cancelled").wait_for()
    assert page.locator(".error-box").count() == 0
    # an evaluation run links to its evaluation
    page.goto(f"/#/evaluate/{made['head']['id']}")
    page.get_by_label("Test samples").fill("50")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_test_id("result-total").wait_for(timeout=60_000)
    ev_id = page.url.rsplit("/", 1)[-1]
    page.goto("/#/train")
    page.get_by_text("evaluate head").first.click()
    page.get_by_role("button", name="Open evaluation →").click()
    page.wait_for_url(f"**/#/evaluate/{ev_id}")
    # label propagation is offered only for a network with a frozen foundation
    page.goto("/#/train")
    page.get_by_label("Network", exact=True).select_option("template:mlp")
    assert page.get_by_label("Also train on the unlabeled images").count() == 0
    saved = [n for n in api(server, "/networks") if n["name"] == "grafted"][0]
    page.get_by_label("Network", exact=True).select_option(f"saved:{saved['id']}")
    page.get_by_label("Also train on the unlabeled images").wait_for()
    page.shot("train-offers")


def test_an_unset_optional_param_is_empty_not_null(page):
    page.goto("/#/design")
    page.get_by_label("Start from template").select_option("lenet5")
    page.get_by_text("✓ valid").wait_for()
    page.locator(".react-flow__node", has_text="MaxPool2d").first.click()
    stride = page.locator(".side-panel input[name=stride]")
    assert stride.input_value() == "" and stride.get_attribute("placeholder").startswith("none")
    assert "default none" in page.locator(".side-panel").inner_text()


@pytest.mark.parametrize("theme", ["dark"])
def test_results_read_in_the_dark_theme(page, made, theme):
    page.add_init_script(f"localStorage.setItem('graft-theme', '{theme}')")
    page.goto(f"/#/evaluate/{made['ev']['id']}:wrong")
    page.get_by_test_id("samples-page").wait_for()
    page.shot(f"evaluate-{theme}")
    page.goto(f"/#/models/{made['head']['id']}")
    page.get_by_test_id("param-split").wait_for()
    page.shot(f"models-{theme}")
