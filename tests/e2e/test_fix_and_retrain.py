"""The loop from a mistake, as a person closes it: evaluate a grafted head on its training images, pick a mistake,
relabel it, leave another out, Fix and retrain (one epoch), and read the two evaluations side by side."""
import re

import pytest

from serving import _serve
from flows import TINY, api, small_models

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A small CNN, its foundation, and a head grafted on it (frozen) trained one epoch on 256 images."""
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("fixloop")
    ws = Workspace(root)
    head = small_models(ws, TINY)["head"]
    ws.close()
    return {"root": root, "head": head}


@pytest.fixture(scope="module")
def server(made):
    yield from _serve(made["root"])


def test_fix_a_mistake_retrain_and_compare(page, made, server):
    head = made["head"]
    page.goto("/#/evaluate")
    page.get_by_label("Model", exact=True).select_option(head["id"])
    page.get_by_label("Test set", exact=True).select_option("ds:mnist")
    page.get_by_label("Split", exact=True).select_option("train")
    page.get_by_label("Test samples").fill("100")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_test_id("result-total").wait_for(timeout=60_000)
    assert page.get_by_test_id("result-total").inner_text() == "100"
    old_id = re.search(r"#/evaluate/(ev-[0-9a-f]{12})", page.url).group(1)

    page.get_by_label("Mistakes only").check()
    samples = page.get_by_label("Per-sample results")
    page.wait_for_function("""() => { const rows = [...document.querySelectorAll('[aria-label="Per-sample results"] tbody tr')]
        .filter(r => r.querySelector('img')); return rows.length > 0 && rows.every(r => r.classList.contains('miss')); }""")
    wrong = samples.locator("tbody tr.miss")
    assert wrong.count() >= 2, "a one-epoch head makes mistakes on its training images"
    fix_index = int(wrong.nth(0).locator("td").nth(0).inner_text())
    fix_to = wrong.nth(0).locator("td").nth(3).inner_text().rstrip(" ✗")     # what the model saw: the right class
    drop_index = int(wrong.nth(1).locator("td").nth(0).inner_text())
    page.get_by_label(f"Pick sample {fix_index}", exact=True).check()
    assert page.get_by_test_id("picked-count").inner_text() == "1 picked"
    page.get_by_label("Right class").select_option(fix_to)
    page.get_by_role("button", name="Relabel picked").click()
    page.get_by_label(f"Pick sample {drop_index}", exact=True).check()
    page.get_by_role("button", name="Leave picked out").click()
    edits = page.get_by_label("Planned edits")
    assert edits.get_by_text(f"#{fix_index}").count() == 1 and "left out" in edits.inner_text()
    page.shot("planned-edits")

    page.get_by_label("Retrain epochs").fill("1")
    page.get_by_role("button", name="Fix and retrain (2 edits)").click()
    page.get_by_role("heading", name="Side by side").wait_for(timeout=180_000)
    assert page.get_by_test_id("compare-a-total").inner_text() == "100"
    assert page.get_by_test_id("compare-b-total").inner_text() == "99"         # one image left out
    assert re.fullmatch(r"99 images in both: \d+ fixed, \d+ broken", page.get_by_test_id("compare-counts").inner_text())
    changed = page.get_by_label("Changed predictions")
    relabelled = changed.locator("tbody tr", has=page.locator("td.num", has_text=re.compile(rf"^{fix_index}$")))
    assert relabelled.count() == 1 and f"{fix_to} →" in relabelled.locator("td").nth(4).inner_text()
    assert changed.locator("tbody tr", has=page.locator("td.num", has_text=re.compile(rf"^{drop_index}$"))).count() == 0
    page.shot("compare-light")
    new_id = re.search(r"compare%3A(ev-[0-9a-f]{12})%3A(ev-[0-9a-f]{12})", page.url).group(2)
    assert re.search(rf"compare%3A{old_id}%3A", page.url)
    new_ev = api(server, f"/evaluations/{new_id}")
    model = api(server, f"/models/{new_ev['model_id']}")
    edited = api(server, f"/datasets/{model['dataset']['dataset']}")
    assert edited["parent"] == "mnist" and edited["edits"] == {"split": "train", "relabeled": 1, "excluded": 1,
                                                              "parent_rows": "train-parent-rows-idx1-int"}
    assert model["block_sha256"]["base"] == head["block_sha256"]["base"]   # the same frozen foundation

    page.evaluate("localStorage.setItem('graft-theme', 'dark')")
    page.reload()
    page.get_by_role("heading", name="Side by side").wait_for()
    page.shot("compare-dark")
