"""Steps the browser tests take the same way: ask the API, train on the Train page, evaluate from a model."""
import json
import urllib.request


def api(server: str, path: str):
    with urllib.request.urlopen(f"{server}/api{path}") as r:
        return json.load(r)


def train(page, network: str, name: str, samples: int | None, timeout_ms: int = 120_000,
          dataset: str | None = None) -> None:
    page.get_by_label("Network", exact=True).select_option(network)
    if dataset is not None:
        page.get_by_label("Data set", exact=True).select_option(label=dataset)
    page.get_by_label("Training samples").fill("" if samples is None else str(samples))
    page.get_by_label("epochs").fill("1")
    page.get_by_label("Model name").fill(name)
    page.get_by_role("button", name="Start training").click()
    page.locator(".card .page-head", has_text=name).locator(".badge.done").wait_for(timeout=timeout_ms)


def evaluate(page, model_id: str, samples: int | None, dataset: str | None = None) -> None:
    """From an open model: its Evaluate button, then an evaluation on `samples` test images, until the result."""
    page.get_by_role("button", name="Evaluate →").first.click()
    page.get_by_role("heading", name="Evaluate").wait_for()   # on the Evaluate page before picking its Model
    page.get_by_label("Model", exact=True).select_option(model_id)
    if dataset is not None:
        page.get_by_label("Test set", exact=True).select_option(label=dataset)
    page.get_by_label("Test samples").fill("" if samples is None else str(samples))
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_test_id("result-total").wait_for(timeout=60_000)
