"""Big imported graphs stay readable: a model drawn by its module hierarchy (stages and blocks collapsed, opened by
a click, found by search), a 300-layer graph that opens within 2 s and pans without stutter, and a mouse wheel
that scrolls the Models page instead of zooming its network to a speck."""
import statistics

import numpy as np
import pytest
from flows import api

pytestmark = [pytest.mark.browser]

STAGES, BLOCKS, WIDTH = 4, 15, 4   # 4 x 15 residual blocks of 5 layers, a stem and a classifier: 304 layers
OPEN_MS = 2000          # the target: a 300-node graph opens within 2 s
FRAME_BUDGET_MS = 50    # panning: 95% of frames within this (20 frames a second, on a shared 2-core CPU)


def residual_onnx(path) -> int:
    """An ONNX file of a plain residual CNN with the scope names torch's exporter writes
    (`/encoder/stages.1/layers.3/conv1/Conv`); returns its node count."""
    from onnx import TensorProto, helper, numpy_helper, save

    rng = np.random.default_rng(0)
    nodes, inits = [], []

    def weight(name, *shape):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name))
        return name

    def conv(scope, x, cin):
        out = f"{scope}/out"
        nodes.append(helper.make_node("Conv", [x, weight(f"{scope}.w", WIDTH, cin, 3, 3), weight(f"{scope}.b", WIDTH)],
                                      [out], name=f"{scope}/Conv", pads=[1, 1, 1, 1]))
        return out

    def relu(scope, x):
        nodes.append(helper.make_node("Relu", [x], [f"{scope}/relu"], name=f"{scope}/Relu"))
        return f"{scope}/relu"

    x = relu("/embedder", conv("/embedder/conv", "image", 1))
    for s in range(STAGES):
        for b in range(BLOCKS):
            scope = f"/encoder/stages.{s}/layers.{b}"
            y = conv(f"{scope}/conv2", relu(f"{scope}/act1", conv(f"{scope}/conv1", x, WIDTH)), WIDTH)
            nodes.append(helper.make_node("Add", [y, x], [f"{scope}/sum"], name=f"{scope}/Add"))
            x = relu(scope, f"{scope}/sum")
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="/pooler/GlobalAveragePool"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], name="/classifier/Flatten"))
    nodes.append(helper.make_node("Gemm", ["flat", weight("fc.w", 10, WIDTH), weight("fc.b", 10)], ["logits"],
                                  name="/classifier/fc/Gemm", transB=1))
    graph = helper.make_graph(nodes, "residual", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                               [1, 1, 28, 28])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return len(nodes)


@pytest.fixture(scope="module")
def big_model(server, tmp_path_factory, browser):
    path = tmp_path_factory.mktemp("big") / "residual-304.onnx"
    count = residual_onnx(path)
    ctx = browser.new_context(base_url=server)
    answer = ctx.request.post("/api/models/import-model", multipart={
        "file": {"name": path.name, "mimeType": "application/octet-stream", "buffer": path.read_bytes()},
        "name": "residual-304"})
    assert answer.ok, answer.text()
    model = answer.json()
    ctx.close()
    spec = api(server, f"/models/{model['id']}")["spec"]
    assert len(spec["nodes"]) == count >= 300
    return model


def frame_times(page, action) -> list[float]:
    """Milliseconds between animation frames while `action` runs."""
    page.evaluate("""() => { window.__frames = []; let last = performance.now();
        const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__recording) requestAnimationFrame(tick); };
        window.__recording = true; requestAnimationFrame(tick); }""")
    action()
    page.evaluate("() => { window.__recording = false; }")
    return page.evaluate("() => window.__frames.slice(1)")


def pan(page, box, steps=40) -> None:
    page.mouse.move(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.8)
    page.mouse.down()
    for i in range(steps):
        page.mouse.move(box["x"] + box["width"] * (0.85 - 0.6 * i / steps), box["y"] + box["height"] * (0.8 - 0.5 * i / steps))
    page.mouse.up()


def budget(name: str, frames: list[float]) -> float:
    p95 = float(np.percentile(frames, 95))
    print(f"{name}: {len(frames)} frames, median {statistics.median(frames):.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(frames):.1f} ms")
    return p95


def test_a_300_layer_graph_opens_within_2_s_and_pans_smoothly(page, big_model):
    page.goto(f"/#/models/{big_model['id']}")
    page.get_by_test_id("block-encoder.stages.0").wait_for()
    opened = page.evaluate("performance.now()")      # from the start of the navigation
    stages = [page.get_by_test_id(f"block-encoder.stages.{s}") for s in range(STAGES)]
    assert all(s.is_visible() for s in stages)
    assert "75 layers" in stages[1].inner_text()     # 15 blocks of 5
    page.shot("overview")
    canvas = page.get_by_test_id("hierarchy-canvas").bounding_box()
    overview = budget("pan, overview", frame_times(page, lambda: pan(page, canvas)))

    started = page.evaluate("performance.now()")
    page.get_by_role("button", name="Open all").click()
    page.get_by_test_id("frame-encoder.stages.0.layers.0").wait_for()
    opened_all = page.evaluate("performance.now()") - started
    page.shot("all-open")
    everything = budget("pan, every block open", frame_times(page, lambda: pan(page, canvas)))
    page.locator(".model-canvas .react-flow__controls-fitview").click()   # as far out as it zooms: most drawn at once
    page.locator(".react-flow__node-layer").nth(100).wait_for(state="attached")
    drawn = page.locator(".react-flow__node").count()
    farthest = budget(f"pan, every block open, zoomed out ({drawn} boxes drawn)",
                      frame_times(page, lambda: pan(page, canvas)))
    print(f"residual-304: drawn {opened:.0f} ms after navigation, every block opened in {opened_all:.0f} ms")
    assert opened <= OPEN_MS and opened_all <= OPEN_MS
    assert max(overview, everything, farthest) <= FRAME_BUDGET_MS


def test_search_opens_the_blocks_around_a_layer_and_centres_it(page, big_model):
    page.goto(f"/#/models/{big_model['id']}")
    page.get_by_test_id("block-encoder.stages.2").wait_for()
    target = "encoder_stages_2_layers_7_conv2"
    assert page.get_by_test_id(f"node-{target}").count() == 0       # inside a closed stage
    page.get_by_label("Find a layer").fill("stages_2_layers_7_conv2")
    page.get_by_label("Find a layer").press("Enter")
    node = page.get_by_test_id(f"node-{target}")
    node.wait_for()
    page.get_by_test_id("frame-encoder.stages.2.layers.7").wait_for()
    page.wait_for_timeout(400)   # the 300 ms move to it
    box, canvas = node.bounding_box(), page.get_by_test_id("hierarchy-canvas").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - (canvas["x"] + canvas["width"] / 2)) < canvas["width"] / 4, (box, canvas)
    assert canvas["y"] <= box["y"] and box["y"] + box["height"] <= canvas["y"] + canvas["height"], (box, canvas)
    assert "found" in node.get_attribute("class")
    page.shot("found")
    page.get_by_label("Find a layer").fill("no-such-layer")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("status").filter(has_text="No layer, type or module matches").wait_for()


def test_the_wheel_over_the_network_scrolls_the_page_and_ctrl_wheel_zooms(page, big_model):
    page.goto(f"/#/models/{big_model['id']}")
    page.get_by_test_id("block-encoder.stages.0").wait_for()
    viewport = page.locator(".model-canvas .react-flow__viewport")
    scroller = "document.querySelector('main.content').scrollTop"
    transform, top = viewport.get_attribute("style"), page.evaluate(scroller)
    canvas = page.get_by_test_id("hierarchy-canvas").bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + 40)
    page.mouse.wheel(0, 400)
    page.wait_for_function(f"{scroller} > {top}")      # the page scrolled on towards the lineage
    assert viewport.get_attribute("style") == transform, "the wheel zoomed the network"
    box = page.get_by_test_id("hierarchy-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_function("(t) => document.querySelector('.model-canvas .react-flow__viewport').getAttribute('style')"
                           " !== t", arg=transform)   # Ctrl+wheel zooms
