"""The designer as a person edits with it: undo steps of the right size, Save that asks, nodes that do not overlap,
a palette search that Enter can use, and a minimap that follows the dark theme."""
import uuid

import pytest

from flows import api

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(empty_server):
    return empty_server


def dialogs(page, answer: bool):
    """Answer every confirm() with `answer`; returns the list of questions asked."""
    asked: list[str] = []

    def on(d):
        asked.append(d.message)
        d.accept() if answer else d.dismiss()
    page.on("dialog", on)
    return asked


def counts(page) -> tuple[int, int]:
    return page.locator(".react-flow__node").count(), page.locator(".react-flow__edge").count()


def boxes(page) -> dict[str, dict]:
    out = {}
    for n in page.locator(".react-flow__node").all():
        out[n.get_attribute("data-id")] = n.bounding_box()
    return out


def overlapping(bs: dict[str, dict]) -> list[tuple[str, str]]:
    ids = list(bs)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
            if bs[a]["x"] < bs[b]["x"] + bs[b]["width"] and bs[b]["x"] < bs[a]["x"] + bs[a]["width"]
            and bs[a]["y"] < bs[b]["y"] + bs[b]["height"] and bs[b]["y"] < bs[a]["y"] + bs[a]["height"]]


def template(page, name: str):
    page.get_by_label("Start from template").select_option(name)
    page.get_by_text("✓ valid").wait_for()


def test_deleting_a_node_is_one_undo_step_with_its_edges(page):
    page.goto("/#/design")
    template(page, "mlp")
    before = counts(page)
    page.locator(".react-flow__node", has_text="ReLU").first.click()
    page.keyboard.press("Delete")
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {before[0] - 1}")
    assert counts(page)[1] == before[1] - 2     # its edge in and its edge out went with it
    page.shot("deleted")
    page.keyboard.press("Control+z")            # one undo: the node and both its edges are back
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {before[0]}")
    page.wait_for_function(f"document.querySelectorAll('.react-flow__edge').length === {before[1]}")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {before[0] - 1}")
    assert counts(page)[1] == before[1] - 2


def test_a_parameter_edit_is_one_undo_step_not_one_per_keystroke(page):
    page.goto("/#/design")
    template(page, "mlp")
    linear = page.locator(".react-flow__node", has_text="Linear").first
    linear.click()
    field = page.locator(".side-panel input[name=out_features]")
    old = field.input_value()
    field.fill("")
    field.press_sequentially("256")
    assert field.input_value() == "256"
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})   # the field loses focus: the edit ends
    page.keyboard.press("Control+z")
    linear.click()
    assert page.locator(".side-panel input[name=out_features]").input_value() == old
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+Shift+z")
    linear.click()
    assert page.locator(".side-panel input[name=out_features]").input_value() == "256"


def test_save_asks_before_replacing_and_before_storing_an_invalid_network(page, server):
    name = f"saved-{uuid.uuid4().hex[:6]}"
    page.goto("/#/design")
    template(page, "mlp")
    page.get_by_label("Network name").fill(name)
    asked = dialogs(page, answer=False)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(f"Saved “{name}”.").wait_for()
    assert asked == []                              # a new name: saved at once
    page.get_by_role("button", name="Save", exact=True).click()   # saving it again in this session: no question
    page.wait_for_timeout(300)
    assert asked == []
    saved = [n for n in api(server, "/networks") if n["name"] == name]
    assert len(saved) == 1
    # a fresh drawing under a name that is already saved: Save asks, and No keeps the saved one
    page.get_by_role("button", name="New").click()
    template(page, "lenet5")
    assert asked == []                              # the mlp was saved: New drops it without a question
    asked.clear()
    page.get_by_label("Network name").fill(name)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Not saved.").wait_for()
    assert len(asked) == 1 and f"“{name}” is already saved" in asked[0]
    again = [n for n in api(server, "/networks") if n["name"] == name]
    assert again == saved                           # untouched
    # an invalid network: the question names the node, the field and the problem
    page.locator(".react-flow__node", has_text="Linear").first.click()
    page.locator(".side-panel input[name=out_features]").fill("ab")
    page.locator(".gnode.has-issue").first.wait_for()
    page.get_by_text("1 issue").wait_for()
    asked.clear()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Not saved.").wait_for()
    assert "not valid" in asked[0] and ".out_features" in asked[0], asked
    page.shot("invalid-not-saved")
    # New and Template ask before dropping the unsaved drawing; No keeps it
    nodes = counts(page)[0]
    asked.clear()
    page.get_by_role("button", name="New").click()
    page.get_by_label("Start from template").select_option("mlp")
    assert len(asked) == 2 and all("unsaved changes" in q for q in asked)
    assert counts(page)[0] == nodes


def test_nodes_do_not_overlap(page):
    page.goto("/#/design")
    page.get_by_text("Start a network").wait_for()
    # a drop lands centred at the cursor
    canvas = page.locator(".canvas")
    cb = canvas.bounding_box()
    drop = {"x": cb["width"] * 0.5, "y": cb["height"] * 0.4}
    page.locator(".palette-item", has_text="Flatten").first.drag_to(canvas, target_position=drop)
    node = page.locator(".react-flow__node", has_text="flatten_1")
    node.wait_for()
    b = node.bounding_box()
    assert abs(b["x"] + b["width"] / 2 - (cb["x"] + drop["x"])) < 12
    assert abs(b["y"] + b["height"] / 2 - (cb["y"] + drop["y"])) < 12
    # appending after a node that already feeds one: the new branch lands beside, on nothing
    dialogs(page, answer=True)   # yes, drop the unsaved drop test
    template(page, "mlp")
    first = page.locator(".react-flow__node", has_text="Flatten").first
    first.click()
    page.locator(".palette-item", has_text="ReLU").first.dblclick()
    page.get_by_text("2 issues").or_(page.get_by_text("✓ valid")).first.wait_for()
    page.wait_for_timeout(300)   # the fitView after appending animates for 200 ms
    assert overlapping(boxes(page)) == []
    # a node showing an error keeps its width and wraps the message
    page.locator(".react-flow__node", has_text="Linear").first.click()
    page.locator(".side-panel input[name=out_features]").fill("-3")
    page.locator(".gnode.has-issue").first.wait_for()
    widths = {round(b["width"]) for b in boxes(page).values()}
    assert len(widths) == 1, widths
    assert overlapping(boxes(page)) == []
    # handles big enough to grab
    size = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('.react-flow__handle'));"
                         " return [parseFloat(s.width), parseFloat(s.height)]; })()")
    assert min(size) >= 10, size
    page.shot("no-overlap")


def test_enter_in_the_layer_search_adds_the_best_match(page):
    page.goto("/#/design")
    template(page, "mlp")
    before = counts(page)[0]
    search = page.get_by_label("Search layers")
    search.fill("lin")
    first = page.locator(".palette-item").first
    assert first.inner_text().strip() == "Linear"    # a name starting with "lin" before GELU ("…linear unit")
    search.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {before + 1}")
    page.locator(".react-flow__node", has_text="linear_").first.wait_for()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_minimap_follows_the_theme(page, theme):
    page.add_init_script(f"localStorage.setItem('graft-theme', '{theme}')")
    page.goto("/#/design")
    template(page, "lenet5")
    page.locator(".react-flow__minimap").wait_for()
    lum = page.evaluate("""() => {
      const px = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return (0.2126*m[0] + 0.7152*m[1] + 0.0722*m[2]) / 255; };
      const mask = getComputedStyle(document.querySelector('.react-flow__minimap-mask')).fill;
      const bg = getComputedStyle(document.querySelector('.react-flow__minimap')).backgroundColor;
      return [px(mask), px(bg)];
    }""")
    if theme == "dark":
        assert max(lum) < 0.35, lum
    else:
        assert min(lum) > 0.65, lum
    page.shot(f"minimap-{theme}")
