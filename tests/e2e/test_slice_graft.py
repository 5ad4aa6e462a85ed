"""Steps 3-6 of the seed workflow by hand, page by page (no workflow page): train a base model on a few samples,
open it, keep its convolutional part as a foundation, graft a new head on it in Design, train only the head,
evaluate, and read total / hit against the API."""
import time

import pytest
from flows import api, evaluate, train

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_slice_graft_train_evaluate_by_hand(page, server):
    t0 = time.monotonic()
    timings = {}

    # 3a. a base model from the example CNN on 1,000 samples
    page.goto("/#/train")
    page.get_by_role("button", name="Start training").wait_for()
    train(page, "template:example-cnn", "byhand-base", 1000)
    page.shot("base-trained")
    timings["train base"] = time.monotonic() - t0
    page.get_by_role("button", name="Open model →").click()

    # 3b. open it: the network is on screen, not only somewhere in the canvas
    flatten = page.get_by_test_id("node-flatten")
    flatten.wait_for()
    assert flatten.is_visible() and page.get_by_test_id("node-fc2").is_visible()
    summary = page.get_by_test_id("slice-summary")
    assert "Select the layers to keep" in summary.inner_text()
    page.shot("model-opened")
    save = page.get_by_role("button", name="Save as foundation")
    assert save.is_disabled()

    # a selection with a gap is refused before it reaches the server
    page.get_by_test_id("node-conv1").click()
    page.get_by_test_id("node-conv2").click(modifiers=["Shift"])
    summary.get_by_text("not one connected part").wait_for()
    assert save.is_disabled()
    page.shot("gap-refused")

    # double-click keeps everything up to the flatten layer: the convolutional part
    flatten.dblclick()
    summary.get_by_text("in (1, 28, 28) → out (9216)").wait_for()
    assert "7 layers: conv1 … flatten" in summary.inner_text()
    page.shot("conv-part-selected")
    save.click()
    page.get_by_role("heading", name="byhand-base-foundation").wait_for()  # the new foundation opens
    page.get_by_test_id("node-conv1").wait_for()
    assert page.get_by_test_id("node-fc1").count() == 0
    page.shot("foundation-opened")
    foundation = next(m for m in api(server, "/models") if m["name"] == "byhand-base-foundation")
    assert foundation["kind"] == "foundation"
    assert [n["id"] for n in api(server, f"/models/{foundation['id']}")["spec"]["nodes"]][-1] == "flatten"
    timings["slice"] = time.monotonic() - t0

    # 4. graft: the foundation is one frozen block; a new head attaches to it and the junction shows its shape
    page.goto("/#/design")
    page.get_by_role("button", name="New").click()
    page.get_by_label("Network name").fill("grafted")
    page.locator(".palette-item.foundation", has_text="byhand-base-foundation").dblclick()
    block = page.locator(".gnode.foundation-node")
    block.wait_for()
    assert "frozen" in block.inner_text() and "7 layers" in block.inner_text()
    assert page.locator(".react-flow__node").count() == 2  # the input and ONE block, not its seven layers
    page.locator(".palette-item", has_text="Linear").first.dblclick()
    page.locator(".side-panel input[name=out_features]").fill("10")
    page.get_by_text("✓ valid").wait_for()
    assert page.locator(".react-flow__edge-text", has_text="(9216)").count() == 1
    page.shot("grafted-design")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved “grafted”").wait_for()
    page.get_by_role("button", name="Train →").click()

    # 5. train only the head
    page.wait_for_url("**/#/train/*")
    saved = next(n for n in api(server, "/networks") if n["name"] == "grafted")
    train(page, f"saved:{saved['id']}", "byhand-head", 1000)
    page.shot("head-trained")
    timings["train head"] = time.monotonic() - t0
    head = next(m for m in api(server, "/models") if m["name"] == "byhand-head")
    page.get_by_role("button", name="Open model →").click()
    page.get_by_test_id(f"lineage-{head['id']}").get_by_text("unchanged").wait_for()

    # 6. evaluate on 300 test images; the page shows the registry's numbers
    evaluate(page, head["id"], 300)
    page.shot("evaluated")
    ev = api(server, f"/evaluations/{page.url.rsplit('/', 1)[-1]}")
    assert ev["model_id"] == head["id"]
    assert page.get_by_test_id("result-total").inner_text() == str(ev["total"]) == "300"
    assert page.get_by_test_id("result-hit").inner_text() == str(ev["hit"])
    timings["evaluate"] = time.monotonic() - t0
    print("cumulative seconds:", {k: round(v, 1) for k, v in timings.items()})
