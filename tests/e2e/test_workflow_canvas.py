"""A workflow built on the canvas: add steps from the palette, configure them, connect them, save and run; the YAML
text follows every canvas edit, and the graph follows the YAML text."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUILT = """\
format: graft.workflow/v1
name: canvas-demo
steps:
  - name: train
    kind: train
    network: {template: mlp}
    data: {dataset: mnist, transforms: [{limit: 500}]}
    batch_size: 50
  - name: evaluate
    kind: evaluate
    data: {dataset: mnist, split: test, transforms: [{limit: 200}]}
    model: {step: train}
"""


@pytest.fixture(scope="module")
def server(empty_server):
    return empty_server   # its own workspace: the steps run here, not from an earlier test's cache


def yaml_text(page) -> str:
    return page.get_by_label("Workflow YAML").input_value()


def wait_yaml(page, text: str) -> None:
    page.wait_for_function("t => document.querySelector('[aria-label=\"Workflow YAML\"]')?.value === t", arg=text)


def test_a_workflow_built_on_the_canvas_saves_and_runs(page):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/#/workflow")
    page.get_by_role("button", name="New", exact=True).click()
    page.get_by_label("Workflow name").fill("canvas-demo")
    page.get_by_label("Workflow name").blur()
    panel = page.get_by_label("Step properties")

    page.get_by_role("button", name="Add train step").click()
    page.get_by_test_id("step-train").wait_for()
    panel.get_by_label("Step network").select_option("mlp")
    panel.get_by_label("Step samples").fill("500")
    panel.get_by_label("Step samples").press("Enter")
    panel.locator("input[name=batch_size]").fill("50")

    # the second step dragged from the palette onto the canvas
    page.get_by_role("button", name="Add evaluate step").drag_to(page.get_by_label("Workflow graph"), target_position={"x": 850, "y": 120})
    page.get_by_test_id("step-evaluate").wait_for()
    panel.get_by_label("Step samples").fill("200")
    panel.get_by_label("Step samples").press("Enter")
    # the server's validation pins the missing model on the step it names
    issue = page.get_by_test_id("step-evaluate").locator(".gnode-issue")
    issue.wait_for()
    assert "model" in issue.inner_text()
    page.shot("unconnected-light")

    page.get_by_test_id("step-train").locator(".react-flow__handle.source").drag_to(
        page.get_by_test_id("step-evaluate").locator(".react-flow__handle.target"))
    wait_yaml(page, BUILT)
    issue.wait_for(state="detached")
    assert page.locator(".react-flow__edge").count() == 1

    # a step that another refers to is not deleted silently
    page.get_by_test_id("step-train").click()
    page.keyboard.press("Delete")
    page.get_by_text("Step “train” is used by “evaluate” (model)").wait_for()
    page.get_by_role("button", name="Keep it").click()
    assert yaml_text(page) == BUILT

    # the YAML side: a comment and a rename typed in the text redraw the graph; a broken text keeps the last good graph
    editor = page.get_by_label("Workflow YAML")
    editor.fill(BUILT.replace("  - name: evaluate\n", "  # scored on 200 test images\n  - name: test\n"))
    page.get_by_test_id("step-test").wait_for()
    editor.fill(yaml_text(page).replace("batch_size: 50", "batch_size: 50: 60"))
    page.get_by_test_id("yaml-error").wait_for()
    assert page.get_by_test_id("yaml-error").inner_text().startswith("YAML error at line 8: Nested mappings")
    assert page.locator(".react-flow__node").count() == 2
    editor.fill(yaml_text(page).replace("batch_size: 50: 60", "batch_size: 50"))
    page.get_by_test_id("yaml-error").wait_for(state="detached")
    # a canvas edit after a text edit keeps the typed comment
    page.get_by_test_id("step-train").click()
    panel.locator("input[name=batch_size]").fill("40")
    final = BUILT.replace("  - name: evaluate\n", "  # scored on 200 test images\n  - name: test\n").replace("batch_size: 50", "batch_size: 40")
    wait_yaml(page, final)
    page.shot("built-light")

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/#/workflow/wf-*")
    wait_yaml(page, final)
    page.get_by_role("button", name="▶ Run all").click()
    page.locator("[data-testid=step-test] .badge.done").wait_for(timeout=180_000)
    page.get_by_test_id("step-test").get_by_role("button", name="Open result").click()
    total = page.get_by_test_id("result-total")
    total.wait_for(timeout=30_000)
    assert "200" in total.inner_text()
    page.go_back()
    page.locator("[data-testid=step-test] .badge.done").wait_for()
    assert yaml_text(page) == final
    page.evaluate("localStorage.setItem('graft-theme', 'dark')")
    page.reload()
    page.locator("[data-testid=step-test] .badge.done").wait_for()
    page.get_by_test_id("step-train").click()
    page.shot("ran-dark")
