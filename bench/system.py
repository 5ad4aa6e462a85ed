"""What a user waits for outside the training loop: `graft --help`, `graft ui`'s first answer, the API while a
run trains (latency and live updates), the seed workflow's peak memory, and two-process DDP's accuracy."""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
GRAFT = [sys.executable, "-m", "graft"]
SEED_WORKFLOW = ROOT / "src" / "graft" / "workflows" / "mnist_transfer.yaml"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def help_seconds(tries: int = 3) -> float:
    times = []
    for _ in range(tries):
        t0 = time.perf_counter()
        subprocess.run([*GRAFT, "--help"], check=True, capture_output=True, env=_env())
        times.append(time.perf_counter() - t0)
    return round(min(times), 3)


class Server:
    """`graft ui` in a subprocess on a free loopback port; `first_response_s` is spawn to first 200."""

    def __init__(self, workspace: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([*GRAFT, "ui", "--workspace", str(workspace), "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
        self.client = httpx.Client(base_url=self.url, timeout=30)
        while True:
            try:
                if self.client.get("/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.perf_counter() - t0 > 60:
                raise RuntimeError(f"graft ui did not answer on {self.url}")
            time.sleep(0.02)
        self.first_response_s = time.perf_counter() - t0

    def close(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _count_events(url: str, stop: threading.Event, counts: dict) -> None:
    with httpx.Client(timeout=None) as c, c.stream("GET", f"{url}/api/events") as r:
        for line in r.iter_lines():
            if line.startswith("event: run"):
                counts["events"] += 1
                counts.setdefault("first", time.perf_counter())
                counts["last"] = time.perf_counter()
            if stop.is_set():
                return


def api_during_training(n_train: int = 6400) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="graft-bench-") as tmp:
        server = Server(Path(tmp) / "ws")
        try:
            body = {"network": {"template": "example-cnn"}, "name": "bench",
                    "data": {"dataset": "mnist", "transforms": [{"limit": n_train}]}, "hparams": {"epochs": 2}}
            counts: dict[str, Any] = {"events": 0}
            stop = threading.Event()
            listener = threading.Thread(target=_count_events, args=(server.url, stop, counts), daemon=True)
            listener.start()
            run = server.client.post("/api/runs", json=body)
            run.raise_for_status()
            rid = run.json()["id"]
            lat: dict[str, list[float]] = {"list": [], "detail": []}
            status, t_start = "queued", time.perf_counter()
            while status in ("queued", "running") and time.perf_counter() - t_start < 300:
                for route, path in (("list", "/api/runs"), ("detail", f"/api/runs/{rid}")):
                    t0 = time.perf_counter()
                    r = server.client.get(path)
                    elapsed = time.perf_counter() - t0
                    if route == "detail":
                        status = r.json()["status"]
                    if status == "running":
                        lat[route].append(elapsed * 1000)
                time.sleep(0.05)
            stop.set()
            train_s = time.perf_counter() - t_start
            span = counts.get("last", 0) - counts.get("first", 0)
            both = lat["list"] + lat["detail"]
            return {
                "server_first_response_s": round(server.first_response_s, 3), "run_status": status,
                "requests_during_training": len(both),
                "api_p95_ms_during_training": round(_p95(both), 1) if both else None,
                "api_p95_ms_list": round(_p95(lat["list"]), 1) if lat["list"] else None,
                "api_p95_ms_detail": round(_p95(lat["detail"]), 1) if lat["detail"] else None,
                "api_median_ms": round(statistics.median(both), 1) if both else None,
                "sse_events": counts["events"], "sse_events_per_s": round(counts["events"] / span, 2) if span else 0,
                "api_run_seconds": round(train_s, 1),
            }
        finally:
            server.close()


def _p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def seed_workflow_rss(full: bool = False) -> dict[str, Any]:
    """Peak RSS of `graft run` on the seed workflow (ru_maxrss of the child). Unless `full`, the base network
    trains 1 epoch on 6,400 images: the memory peak is the head step's (features of all 60,000 images), which
    is unchanged; only the wall time is not the shipped workflow's."""
    doc = yaml.safe_load(SEED_WORKFLOW.read_text())
    if not full:
        doc["steps"][0]["epochs"] = 1
        doc["steps"][0]["data"] = {"dataset": "mnist", "transforms": [{"limit": 6400}]}
    with tempfile.TemporaryDirectory(prefix="graft-bench-") as tmp:
        path = Path(tmp) / "workflow.yaml"
        path.write_text(yaml.safe_dump(doc))
        # a fresh parent whose only child is the workflow: RUSAGE_CHILDREN is then that child's peak
        wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", wrapper, *GRAFT, "run", str(path), "--workspace",
                               str(Path(tmp) / "ws"), "--quiet"], capture_output=True, text=True, env=_env())
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"seed workflow failed: {proc.stderr[-800:]}")
        peak_kb = int(proc.stdout.strip().splitlines()[-1])
    return {"peak_rss_mb_seed_workflow": round(peak_kb / 1024, 1), "seed_workflow_seconds": round(seconds, 1),
            "seed_workflow_base_epochs": doc["steps"][0]["epochs"]}


def ddp_accuracy(template: str = "lenet5", epochs: int = 1) -> dict[str, Any]:
    """1 process against 2 gloo processes (torchrun) on all 60,000 training images; full test set."""
    from graft.ops import evaluate_model, train_model
    from graft.store import Workspace

    hp = {"epochs": epochs, "batch_size": 128, "lr": 2e-3, "seed": 0}
    out: dict[str, Any] = {"ddp_network": template, "ddp_epochs": epochs}
    with tempfile.TemporaryDirectory(prefix="graft-bench-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        for nproc in (1, 2):
            before = len(ws.list_models())
            t0 = time.perf_counter()
            rec = train_model(ws, {"template": template}, "mnist", hp, name=f"ddp{nproc}", nproc=nproc,
                              progress_bar=False)
            out[f"ddp{nproc}_seconds"] = round(time.perf_counter() - t0, 1)
            out[f"ddp{nproc}_test_accuracy"] = evaluate_model(ws, rec["id"], "mnist", split="test")["accuracy"]
            out[f"ddp{nproc}_models_registered"] = len(ws.list_models()) - before
    out["ddp2_accuracy_delta"] = round(100 * (out["ddp2_test_accuracy"] - out["ddp1_test_accuracy"]), 2)
    return out
