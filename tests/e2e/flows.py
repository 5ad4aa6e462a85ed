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


TINY = {"dataset": "mnist", "transforms": [{"limit": 256}]}
SMALL_CNN = {"name": "small", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "relu", "type": "ReLU", "inputs": ["conv"]},
    {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flatten"]}]}


def small_models(ws, data: dict = TINY, head: bool = True) -> dict:
    """Trained through graft.ops in `ws` (one epoch each on `data`): `base`, a small CNN; `fnd`, its foundation up to
    flatten ("features"); with `head`, `doc`, a Linear head grafted on it (frozen), and `head`, that trained."""
    from graft.ops import slice_model, train_model
    from graft.spec.graph import graft_network

    base = train_model(ws, SMALL_CNN, data, {"epochs": 1}, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="flatten", name="features")
    made = {"base": base, "fnd": fnd}
    if head:
        made["doc"] = graft_network(fnd["spec"], fnd["id"], [{"id": "head", "type": "Linear",
                                                                "params": {"out_features": 10}}]) \
            .model_dump(mode="json", exclude_none=True)
        made["head"] = train_model(ws, made["doc"], data, {"epochs": 1}, name="head", progress_bar=False)
    return made
