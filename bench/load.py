"""Load: 50 concurrent clients on loopback against the API's read routes while a run trains (issue 17, item 5).

The same training runs twice on one `graft ui`: first unloaded, then with the clients, each for BENCH_LOAD_S
(default 60) seconds after its first step. Reported: requests, 5xx and transport errors, p95 and median latency,
and the loaded run's training throughput against the unloaded one's (steps counted from the run's progress).
"""
from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from .system import Server, _p95

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
WINDOW_S = float(os.environ.get("BENCH_LOAD_S", "60"))
BATCH, SAMPLES = 64, 1280   # a whole number of batches: 20 steps an epoch, however the last batch is treated
TRAIN = {"network": {"template": "lenet5"}, "name": "load",
         "data": {"dataset": "mnist", "transforms": [{"limit": SAMPLES}]},
         "hparams": {"epochs": 1000, "batch_size": BATCH}}   # cancelled when the window ends


def _steps(run: dict) -> int | None:
    epoch, step = run.get("epoch"), run.get("step")
    if not (isinstance(epoch, int) and isinstance(step, int)):
        return None
    return (epoch - 1) * (SAMPLES // BATCH) + step


def _wait_first_step(client: httpx.Client, rid: str, limit_s: float = 120) -> None:
    t0, run = time.perf_counter(), {}
    while time.perf_counter() - t0 < limit_s:
        run = client.get(f"/api/runs/{rid}").json()
        if run["status"] not in ("queued", "running"):
            raise RuntimeError(f"the training run ended before the window: {run['status']} {run.get('error')}")
        if _steps(run):
            return
        time.sleep(0.1)
    shown = {k: run.get(k) for k in ("status", "epoch", "step", "steps_total", "error")}
    raise RuntimeError(f"the training run made no step within {limit_s:.0f} s: {shown}")


def _throughput(client: httpx.Client, rid: str, stop_at: float) -> float:
    """Training samples/s between the first and the last progress report seen before `stop_at`."""
    first = last = None
    while time.perf_counter() < stop_at:
        steps = _steps(client.get(f"/api/runs/{rid}").json())
        now = time.perf_counter()
        if steps is not None:
            if first is None:
                first = (now, steps)
            if last is None or steps != last[1]:
                last = (now, steps)
        time.sleep(0.25)
    if first is None or last is None or last[0] <= first[0]:
        return 0.0
    return (last[1] - first[1]) * BATCH / (last[0] - first[0])


async def _clients(url: str, paths: list[str], stop_at: float) -> dict[str, Any]:
    latencies: list[float] = []
    by_route: dict[str, list[float]] = {}
    counts = {"requests": 0, "5xx": 0, "4xx": 0, "transport_errors": 0}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def one(client: httpx.AsyncClient, k: int) -> None:
        i = k
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                r = await client.get(path)
            except httpx.TransportError:
                counts["transport_errors"] += 1
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            by_route.setdefault(path.replace(paths[1].rsplit("/", 1)[-1], "{id}"), []).append(latencies[-1])
            counts["requests"] += 1
            if r.status_code >= 500:
                counts["5xx"] += 1
            elif r.status_code >= 400:
                counts["4xx"] += 1

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(one(client, k) for k in range(CLIENTS)))
    return {**counts, "latencies": latencies,
            "p95_ms_by_route": {k: round(_p95(v), 1) for k, v in sorted(by_route.items())}}


def _train_for(server: Server, seconds: float, paths_of=None) -> tuple[float, dict | None]:
    run = server.client.post("/api/runs", json=TRAIN)
    run.raise_for_status()
    rid = run.json()["id"]
    try:
        _wait_first_step(server.client, rid)
        stop_at = time.perf_counter() + seconds
        if paths_of is None:
            return _throughput(server.client, rid, stop_at), None
        paths = paths_of(rid)
        result: dict[str, Any] = {}
        loop = asyncio.new_event_loop()

        def load() -> None:
            result.update(loop.run_until_complete(_clients(server.url, paths, stop_at)))
        worker = threading.Thread(target=load)
        worker.start()
        sps = _throughput(server.client, rid, stop_at)
        worker.join(seconds + 60)
        loop.close()
        return sps, result
    finally:
        server.client.post(f"/api/runs/{rid}/cancel")
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 30 and server.client.get(f"/api/runs/{rid}").json()["status"] in (
                "queued", "running"):
            time.sleep(0.1)


def api_under_load() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="graft-bench-load-") as tmp:
        server = Server(Path(tmp) / "ws")
        try:
            unloaded, _ = _train_for(server, WINDOW_S)
            loaded, load = _train_for(server, WINDOW_S, lambda rid: [
                "/api/runs", f"/api/runs/{rid}", "/api/models", "/api/datasets", "/api/health",
                "/api/templates", "/api/networks", "/api/evaluations"])
        finally:
            server.close()
    lat = load.pop("latencies") if load else []
    return {
        "load_clients": CLIENTS, "load_seconds": WINDOW_S, "load_requests": load.get("requests") if load else 0,
        "load_requests_per_s": round(load["requests"] / WINDOW_S, 1) if load else None,
        "load_5xx": load.get("5xx") if load else None, "load_4xx": load.get("4xx") if load else None,
        "load_transport_errors": load.get("transport_errors") if load else None,
        "load_p95_ms": round(_p95(lat), 1) if lat else None,
        "load_median_ms": round(statistics.median(lat), 1) if lat else None,
        "load_p95_ms_by_route": load.get("p95_ms_by_route") if load else None,
        "load_train_samples_per_s": round(loaded, 1), "unloaded_train_samples_per_s": round(unloaded, 1),
        "load_train_throughput_ratio": round(loaded / unloaded, 3) if unloaded else None,
    }


if __name__ == "__main__":   # python -m bench.load: this section alone
    import json

    print(json.dumps(api_under_load(), indent=1))
