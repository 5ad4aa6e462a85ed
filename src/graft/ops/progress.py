"""A run's progress as the registry records it: fraction done, time left, epoch rows and a live curve.

Every run writes it, whoever started it (the workbench's worker, `graft train`, a workflow step, Python), so the
Train page shows any run live. Writes are throttled to a few a second.
"""
from __future__ import annotations

import time
from typing import Any, Callable

WRITE_EVERY_S = 0.3
MAX_CURVE_POINTS = 400


def recording(progress: RunProgress, on_step: Callable | None, on_epoch: Callable | None):
    """on_step/on_epoch callbacks that feed `progress` (the run's one recorder), then the caller's own."""
    def step(*args, **info):
        progress.on_step(*args, **info)
        if on_step:
            on_step(*args, **info)

    def epoch(*args, **info):
        progress.on_epoch(*args, **info)
        if on_epoch:
            on_epoch(*args, **info)
    return step, epoch


class RunProgress:
    """Turns the engine's callbacks (on_step, on_epoch) into the run's `progress` and `history` fields."""

    def __init__(self, ws, run_id: str, epochs: int | None = None, history: list[dict] | None = None):
        self.ws, self.run_id, self.epochs = ws, run_id, epochs
        self.started = time.monotonic()
        self.last_write = 0.0
        self.state: dict[str, Any] = {"fraction": 0.0}
        self.history: list[dict] = list(history or [])   # a resumed run keeps the epochs it had
        self.reports, self.curve_stride = 0, 1
        self.workflow_steps = 0      # how many steps a workflow run will run, when known
        self.last_report: tuple[int, int, dict] = (0, 0, {})

    def on_step(self, *args, **info) -> None:
        info = _as_dict(args, info)
        if all(isinstance(info.get(k), (int, float)) for k in ("epoch", "step", "steps_per_epoch", "loss")):
            self._add_to_curve(info)
        self._update(info, force=False)

    def _add_to_curve(self, info: dict) -> None:
        """The live curve: loss and accuracy over the steps since the previous report, at fractional epochs.
        The engine reports means since the epoch began, which would flatten the curve and jump at each epoch."""
        epoch, step = info["epoch"], info["step"]
        means = {k: info[k] for k in ("loss", "accuracy") if isinstance(info.get(k), (int, float))}
        prev_epoch, prev_step, prev_means = self.last_report
        since = prev_step if prev_epoch == epoch and prev_step < step else 0
        point = {"epoch": round(epoch - 1 + step / info["steps_per_epoch"], 4)}
        point.update({k: (v * step - prev_means.get(k, 0.0) * since) / (step - since) for k, v in means.items()})
        self.last_report = (epoch, step, means)
        keep = self.reports % self.curve_stride == 0   # the reports [::2] kept at each thinning: even spacing
        self.reports += 1
        if keep or step == info["steps_per_epoch"]:    # and always an epoch's last step
            curve = self.state.setdefault("curve", [])
            curve.append(point)
            if len(curve) > MAX_CURVE_POINTS:
                self.state["curve"] = curve[::2]
                self.curve_stride *= 2

    def on_epoch(self, *args, **info) -> None:
        info = _as_dict(args, info)
        self.history.append({k: v for k, v in info.items() if _plain(v)})
        self._update(info, force=True)

    def set_fraction(self, fraction: float, **info) -> None:
        self._update({**info, "progress": fraction}, force=True)

    def on_event(self, event: dict) -> None:
        """Workflow step events: keep a status per step, and with `workflow_steps` known, the fraction done."""
        steps = self.state.setdefault("workflow_steps", {})
        steps[event.get("step", "?")] = {k: v for k, v in event.items() if _plain(v)}
        info: dict[str, Any] = {}
        if self.workflow_steps:
            done = sum(s.get("status") in ("done", "cached") for s in steps.values())
            info["progress"] = done / self.workflow_steps
            if event.get("status") == "running":
                info["stage"] = f"step {done + 1} of {self.workflow_steps}: {event.get('step')}"
        self._update(info, force=True)

    def _update(self, info: dict, force: bool) -> None:
        self.state.update({k: v for k, v in info.items() if _plain(v)})
        if self.epochs and "epochs" not in self.state:
            self.state["epochs"] = self.epochs   # the page shows "epoch 1 of N"
        fraction = _fraction(self.state, self.epochs)
        if fraction is not None:
            self.state["fraction"] = fraction
            elapsed = time.monotonic() - self.started
            self.state["elapsed"] = round(elapsed, 2)
            self.state["eta"] = round(elapsed * (1 - fraction) / fraction, 1) if fraction > 0.01 else None
        now = time.monotonic()
        if force or now - self.last_write >= WRITE_EVERY_S:
            self.last_write = now
            self.ws.runs.update(self.run_id, progress=dict(self.state), history=list(self.history))


def _as_dict(args: tuple, info: dict) -> dict:
    out = dict(info)
    for a in args:
        if isinstance(a, dict):
            out.update(a)
        elif hasattr(a, "__dict__"):
            out.update(vars(a))
    return out


def _plain(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))


def _fraction(s: dict, epochs: int | None) -> float | None:
    if "fraction" in s and isinstance(s.get("progress"), (int, float)):
        return max(0.0, min(1.0, float(s["progress"])))
    epochs = s.get("epochs") or epochs
    epoch, step, steps = s.get("epoch"), s.get("step"), s.get("steps_per_epoch")
    if epochs and isinstance(epoch, (int, float)):
        within = step / steps if isinstance(step, (int, float)) and steps else 0.0
        done = (epoch - 1 + within) if epoch >= 1 else within  # epochs count from 1 in the engine's reports
        return max(0.0, min(1.0, done / epochs))
    return None
