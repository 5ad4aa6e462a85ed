"""The synergy report in the browser, as a new user runs it: Reports → Synergy, pick the foundation, two tasks
with a few labels each, start; the report's table on the page is the report the API serves, its plot loads, and
the Foundations catalogue then lists the joint model with one accuracy per head (both themes shot)."""
from __future__ import annotations

import pytest

from serving import _serve
from flows import api

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A workspace with one foundation (an MLP's first layer, trained on 100 digits), made before the server."""
    from graft.ops import slice_model, train_model
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("synergy-ws")
    ws = Workspace(root)
    base = train_model(ws, {"template": "mlp"}, {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]},
                       {"epochs": 1}, name="base", progress_bar=False)
    slice_model(ws, base["id"], end="relu1", name="digit-features")
    del ws
    yield from _serve(root)


def test_a_new_user_runs_a_synergy_report_and_finds_its_models_in_the_catalogue(page, server):
    page.goto("/#/reports")
    page.get_by_role("tab", name="Synergy: tasks alone vs together").click()
    form = page.get_by_role("form", name="New synergy report")
    assert "digit-features" in form.get_by_label("Synergy foundation").inner_text()
    form.get_by_label("Synergy epochs").fill("1")
    form.get_by_label("Task 1 name").fill("digits")
    form.get_by_label("Task 1 labels per class").fill("3")
    form.get_by_label("Task 2 name").fill("few")
    form.get_by_label("Task 2 labels per class").fill("1")
    page.shot("synergy-form")
    form.get_by_role("button", name="Start synergy report").click()
    view = page.get_by_label("Synergy report", exact=True)
    view.wait_for(timeout=180_000)          # two alone, one together, four tests of 10,000: the CPUs are shared
    report = next(r for r in api(server, "/reports") if r["kind"] == "synergy")
    assert page.url.endswith(f"#/reports/{report['id']}")
    full = api(server, f"/reports/{report['id']}")
    for row in full["rows"]:
        shown = view.get_by_test_id(f"synergy-row-{row['name']}")
        assert shown.locator("[data-col=alone]").inner_text() == f"{row['alone']['accuracy'] * 100:.2f}%"
        assert shown.locator("[data-col=together]").inner_text() == f"{row['together']['accuracy'] * 100:.2f}%"
        assert shown.locator("[data-col=train_size]").inner_text() == str(row["train_size"])
        assert shown.get_by_text("mnist, " + ("3" if row["name"] == "digits" else "1") + " per class").is_visible()
    assert {r["train_size"] for r in full["rows"]} == {30, 10}
    view.get_by_text("foundation fine-tuned at lr × 0.1").wait_for()
    plot = view.get_by_role("img")
    plot.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=plot.element_handle())
    page.shot("synergy-report")

    view.get_by_role("button", name="Foundations catalogue →").click()
    card = page.get_by_label("Foundation digit-features")
    together = card.get_by_role("row", name="digit-features/together")
    for row in full["rows"]:     # a several-headed model: one accuracy per head, by task name
        together.get_by_text(f"{row['name']} {row['together']['accuracy'] * 100:.2f}%").first.wait_for()
    assert together.get_by_text("fine-tuned").is_visible()
    page.shot("synergy-catalogue")
    page.get_by_role("button", name="Dark theme").click()
    page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    page.shot("synergy-catalogue-dark")
    page.goto(f"/#/reports/{report['id']}")
    page.get_by_label("Synergy report", exact=True).wait_for()
    page.shot("synergy-report-dark")
