"""Each section opens on an empty workspace, says what to do next, and logs no console error."""
import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(empty_server):
    # the session's server has the runs and models of the tests that train (they may run before this one)
    return empty_server


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_section_has_an_empty_state(page, theme):
    page.add_init_script(f"localStorage.setItem('graft-theme', '{theme}')")
    page.goto("/#/design")
    page.get_by_text("Start a network").wait_for()
    page.shot(f"design-{theme}")
    for section, text in [("data", "Data sets"), ("train", "No runs yet"), ("models", "No models yet"),
                          ("evaluate", "No evaluation yet"), ("reports", "No foundations yet"),
                          ("workflow", "No workflows yet")]:
        page.get_by_role("navigation", name="Sections").get_by_role("link", name=section.capitalize()).click()
        page.get_by_text(text).first.wait_for()
        page.shot(f"{section}-{theme}")


def test_design_template_shows_shapes_params_and_undo(page):
    page.goto("/#/design")
    page.get_by_label("Start from template").select_option("lenet5")
    page.get_by_text("✓ valid").wait_for()
    # every edge carries its tensor shape; the input edge shows MNIST's shape
    assert page.locator(".react-flow__edge-text", has_text="(1, 28, 28)").count() >= 1
    assert page.locator(".gnode-meta", has_text="params").count() >= 5
    page.shot("lenet5")
    nodes_before = page.locator(".react-flow__node").count()
    page.locator(".palette-item", has_text="ReLU").first.dblclick()
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {nodes_before + 1}")
    page.keyboard.press("Control+z")
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {nodes_before}")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length === {nodes_before + 1}")


def test_bad_param_is_pinned_on_the_node(page):
    page.goto("/#/design")
    page.get_by_label("Start from template").select_option("mlp")
    page.get_by_text("✓ valid").wait_for()
    linear = page.locator(".react-flow__node", has_text="Linear").first
    linear.click()
    field = page.locator(".side-panel input[name=out_features]")
    field.fill("-3")
    page.locator(".gnode.has-issue").first.wait_for()
    page.shot("issue-pinned")
