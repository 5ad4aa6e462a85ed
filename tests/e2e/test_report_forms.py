"""The Reports page's two forms queue their runs: the synergy form (two tasks on a foundation) sends what it shows
and its run appears, cancellable; the transfer form offers the same foundation."""
import pytest

from serving import _serve
from flows import api, small_models

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("reportforms")
    ws = Workspace(root)
    made = small_models(ws, head=False)
    ws.close()
    return {"root": root, **made}


@pytest.fixture(scope="module")
def server(made):
    yield from _serve(made["root"])


def test_the_synergy_form_queues_its_tasks_and_the_run_can_be_cancelled(page, made, server):
    fnd = made["fnd"]
    page.goto("/#/reports")
    page.get_by_role("tab", name="Synergy: tasks alone vs together").click()
    form = page.get_by_role("form", name="New synergy report")
    assert form.get_by_label("Synergy foundation").input_value() == fnd["id"]
    form.get_by_label("Synergy epochs").fill("1")
    form.get_by_label("Task 1 name").fill("digits")
    form.get_by_label("Task 2 name").fill("again")
    form.get_by_label("Task 2 labels per class").fill("5")
    page.shot("synergy-form")
    form.get_by_role("button", name="Start synergy report").click()
    card = page.locator(".card", has_text="synergy features: digits, again")
    card.wait_for()
    assert form.get_by_role("alert").count() == 0
    run = next(r for r in api(server, "/runs") if r["kind"] == "synergy")
    assert run["request"]["foundation"] == fnd["id"] and run["request"]["epochs"] == 1
    assert [(t["name"], t["per_class"]) for t in run["request"]["tasks"]] == [("digits", 100), ("again", 5)]
    page.shot("synergy-queued")
    card.get_by_role("button", name="Cancel").click()
    card.locator(".badge.cancelled").wait_for(timeout=30_000)

    page.get_by_role("tab", name="Transfer: foundation vs scratch").click()
    transfer = page.get_by_role("form", name="New transfer report")
    assert transfer.get_by_label("Foundation").input_value() == fnd["id"]
