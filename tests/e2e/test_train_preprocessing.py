"""The Train page's preprocessing fields: a refused resize is named on its field (the server's validation), and a
run trained with resize and fit keeps them: the run's request, the model's record and the Models page say so."""
import pytest

from flows import api, train

pytestmark = pytest.mark.browser


def test_train_with_resize_and_the_model_keeps_it(page, server):
    page.allow_console_error("422")   # the refused request below logs its status
    page.goto("/#/train")
    page.get_by_role("button", name="Start training").wait_for()
    page.get_by_label("Network", exact=True).select_option("template:mlp")
    page.get_by_label("Resize").fill("0,5")
    page.get_by_role("button", name="Start training").click()
    error = page.locator("#prep-resize-error")
    error.wait_for()
    assert "first number: expected a number >= 1, found 0" in error.inner_text()
    assert page.get_by_label("Resize").get_attribute("aria-invalid") == "true"
    page.shot("resize-refused-on-its-field")

    page.get_by_label("Resize").fill("20,12")
    page.get_by_label("Fit").select_option("pad")
    assert page.locator("#prep-resize-error").count() == 0   # an edit clears the old answer
    train(page, "template:mlp", "resized-mlp", 300)
    page.shot("trained-resized")

    model = next(m for m in api(server, "/models") if m["name"] == "resized-mlp")
    run = api(server, f"/runs/{model['run_id']}")
    assert model["dataset"]["resize"] == [20, 12] and model["dataset"]["fit"] == "pad"
    assert model["input_shape"] == [1, 20, 12]   # the template took the resized size as its input
    assert run["request"]["data"]["resize"] == [20, 12] and run["request"]["data"]["fit"] == "pad"
    page.get_by_role("button", name="Open model →").click()
    facts = page.get_by_test_id("model-preprocessing")
    facts.wait_for()
    assert "resized to 20×12 (letterbox pad)" in facts.inner_text()
    page.shot("model-keeps-the-preprocessing")
