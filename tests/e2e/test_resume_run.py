"""The Train page's Resume button: a training run stopped part-way goes on from its last checkpoint and ends
done, keeping the epochs it had."""
import json
import time
import urllib.request

import pytest

from flows import api

# Whole MNIST epochs (seconds each, even on a fast CPU): the cancel below, sent as soon as one epoch is
# checkpointed, lands well inside the second. With 1,500 images the run could end before the cancel arrived.
RUN = {"network": {"template": "mlp"}, "name": "stopped-part-way",
       "data": {"dataset": "mnist"}, "hparams": {"epochs": 3, "batch_size": 32, "seed": 0}}


@pytest.fixture(scope="module")
def server(empty_server):
    return empty_server


def post(server: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(f"{server}/api{path}", data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Origin": server})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def until(condition, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.slow
@pytest.mark.browser
def test_resume_a_stopped_run_from_the_train_page(page, server):
    run_id = post(server, "/runs", RUN)["id"]
    until(lambda: len(api(server, f"/runs/{run_id}")["history"]) >= 1)     # one epoch checkpointed
    post(server, f"/runs/{run_id}/cancel")
    status = until(lambda: api(server, f"/runs/{run_id}")["status"] not in ("queued", "running") and
                   api(server, f"/runs/{run_id}")["status"])
    assert status == "cancelled", f"the run ended {status} before the cancel reached it"
    kept = len(api(server, f"/runs/{run_id}")["history"])

    page.goto("/#/train")
    head = page.locator(".card .page-head", has_text="stopped-part-way")
    head.locator(".badge.cancelled").wait_for()
    page.shot("stopped")
    head.get_by_role("button", name="Resume").click()
    head.locator(".badge.done").wait_for(timeout=300_000)
    page.shot("resumed-done")
    assert head.get_by_role("button", name="Resume").count() == 0
    run = api(server, f"/runs/{run_id}")
    assert [h["epoch"] for h in run["history"]] == [1, 2, 3] and kept < 3
    assert run["model_id"]
