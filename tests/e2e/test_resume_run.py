"""The Train page's Resume button: a training run stopped part-way goes on from its last checkpoint and ends
done, keeping the epochs it had."""
import json
import time
import urllib.request

import pytest

from flows import api

RUN = {"network": {"template": "mlp"}, "name": "stopped-part-way",
       "data": {"dataset": "mnist", "transforms": [{"limit": 1500}]},
       "hparams": {"epochs": 4, "batch_size": 32, "seed": 0}}


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
    until(lambda: api(server, f"/runs/{run_id}")["status"] == "cancelled")
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
    assert [h["epoch"] for h in run["history"]] == [1, 2, 3, 4] and kept < 4
    assert run["model_id"]
