"""Load: 50 workbench tabs on loopback against the API while a run trains (issue 17, item 5).

A *bounded* client is one open workbench tab: it holds the live-event stream (`GET /api/events`, as every page
does) and issues the pages' reads at RATE requests a second (default 1; each interval drawn uniformly from 0.5
to 1.5 times 1/RATE, so the tabs do not beat in step), cycling through the mix of MIX: the followed run's
status (twice as often as the rest), the run list, models, data sets, evaluations. Requests go out on that
schedule whatever the answers' latency (like a page's timer), each tab on its own connections (a browser's
six). Fifty of them are fifty users, not a denial of service; the old closed loop (each client firing its
next request as soon as the last answers) is kept as a shorter, separately labelled row.

One training run serves the whole section, and its throughput is compared within that run: segments of
SEGMENT_S seconds alternate unloaded, loaded, unloaded, ... (BENCH_LOAD_S seconds loaded in all, default 60;
the first and last segments unloaded), so that whatever else the shared machine is doing weighs on both
sides alike. Reported: requests, 5xx, 4xx and transport errors, p95 and median latency, live events received,
the server's and the clients' CPU use (percent of one core; the clients share the machine too), and training
samples/s loaded against unloaded.
"""
from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from .system import Server, _p95

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
LOADED_S = float(os.environ.get("BENCH_LOAD_S", "60"))
SEGMENT_S = float(os.environ.get("BENCH_LOAD_SEGMENT_S", "15"))
RATE = float(os.environ.get("BENCH_LOAD_RATE", "1"))           # requests a second per bounded client
CLOSED_S = float(os.environ.get("BENCH_LOAD_CLOSED_S", "10"))  # the closed-loop row; 0 leaves it out
SETTLE_S = 1.0     # the first second of a segment (clients connecting, or leaving) is not counted
BATCH, SAMPLES = 64, 6400   # a whole number of batches: 100 steps an epoch, however the last batch is treated
TRAIN = {"network": {"template": "lenet5"}, "name": "load",
         "data": {"dataset": "mnist", "transforms": [{"limit": SAMPLES}]},
         "hparams": {"epochs": 1000, "batch_size": BATCH}}   # cancelled when the section ends
MIX = ["/api/runs/{run}", "/api/runs", "/api/models", "/api/runs/{run}", "/api/datasets", "/api/evaluations"]
STATUS = {"requests": 0, "5xx": 0, "4xx": 0, "transport_errors": 0, "events": 0, "event_streams_failed": 0}


def _steps(run: dict) -> int | None:
    epoch, step = run.get("epoch"), run.get("step")
    if not (isinstance(epoch, int) and isinstance(step, int)):
        return None
    return (epoch - 1) * (SAMPLES // BATCH) + step


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    """This process's CPU time: the clients' (and the monitor's) share of the machine."""
    t = os.times()
    return t.user + t.system


class Monitor(threading.Thread):
    """Follows the run's step count (time each new count was first seen) until stopped."""

    def __init__(self, client: httpx.Client, rid: str):
        super().__init__(daemon=True)
        self.client, self.rid = client, rid
        self.seen: list[tuple[float, int]] = []
        self.status = "queued"
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            run = self.client.get(f"/api/runs/{self.rid}").json()
            self.status = run["status"]
            steps = _steps(run)
            if steps is not None and (not self.seen or steps != self.seen[-1][1]):
                self.seen.append((time.perf_counter(), steps))
            self.halt.wait(0.2)

    def wait_first_step(self, limit_s: float = 120) -> None:
        t0 = time.perf_counter()
        while not self.seen:
            if self.status not in ("queued", "running"):
                raise RuntimeError(f"the training run ended before the load section: {self.status}")
            if time.perf_counter() - t0 > limit_s:
                raise RuntimeError(f"the training run made no step within {limit_s:.0f} s")
            time.sleep(0.1)

    def rate(self, start: float, end: float) -> tuple[int, float]:
        """(steps, seconds) between the first and last step counts seen in [start, end]."""
        inside = [(t, s) for t, s in self.seen if start <= t <= end]
        if len(inside) < 2:
            return 0, 0.0
        return inside[-1][1] - inside[0][1], inside[-1][0] - inside[0][0]


async def _drain_events(client: aiohttp.ClientSession, stats: dict) -> None:
    try:
        async with client.get("/api/events") as r:
            async for line in r.content:
                if line.startswith(b"event: run"):
                    stats["events"] += 1
    except (aiohttp.ClientError, asyncio.TimeoutError):
        stats["event_streams_failed"] += 1


async def _request(client: aiohttp.ClientSession, path: str, stats: dict, latencies: list[float]) -> None:
    t0 = time.perf_counter()
    try:
        async with client.get(path) as r:
            await r.read()
            code = r.status
    except (aiohttp.ClientError, asyncio.TimeoutError):
        stats["transport_errors"] += 1
        return
    latencies.append((time.perf_counter() - t0) * 1000)
    stats["requests"] += 1
    if code >= 500:
        stats["5xx"] += 1
    elif code >= 400:
        stats["4xx"] += 1


async def _tab(client: aiohttp.ClientSession, k: int, rid: str, stop_at: float, stats: dict,
               latencies: list[float]) -> None:
    """One open workbench tab: the event stream, and the pages' reads at RATE a second on a fixed schedule."""
    rng = random.Random(k)
    events = asyncio.create_task(_drain_events(client, stats))
    pending: set[asyncio.Task] = set()
    i, next_at = k, time.perf_counter() + rng.uniform(0, 1 / RATE)
    while True:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        if time.perf_counter() >= stop_at:
            break
        task = asyncio.create_task(_request(client, MIX[i % len(MIX)].format(run=rid), stats, latencies))
        pending.add(task)
        task.add_done_callback(pending.discard)
        i += 1
        next_at += rng.uniform(0.5, 1.5) / RATE
    if pending:
        await asyncio.wait(pending, timeout=30)
    events.cancel()
    await asyncio.gather(events, return_exceptions=True)


async def _closed_loop(client: aiohttp.ClientSession, k: int, rid: str, stop_at: float, stats: dict,
                       latencies: list[float]) -> None:
    """The old client: its next request as soon as the last one answers."""
    i = k
    while time.perf_counter() < stop_at:
        await _request(client, MIX[i % len(MIX)].format(run=rid), stats, latencies)
        i += 1


def _load(kind, url: str, rid: str, seconds: float) -> dict[str, Any]:
    """CLIENTS clients of `kind`, each with its own connections (at most a browser's six), for `seconds`."""
    stats, latencies = dict(STATUS), []

    async def all_clients() -> None:
        # aiohttp, not httpx: 0.25 instead of 1.3 client CPU ms a request, CPU the training beside it keeps
        timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
        clients = [aiohttp.ClientSession(base_url=url, timeout=timeout, connector=aiohttp.TCPConnector(limit=6))
                   for _ in range(CLIENTS)]
        stop_at = time.perf_counter() + seconds
        try:
            await asyncio.gather(*(kind(c, k, rid, stop_at, stats, latencies) for k, c in enumerate(clients)))
        finally:
            await asyncio.gather(*(c.close() for c in clients))
    asyncio.run(all_clients())
    return {**stats, "latencies": latencies}


def _segments(server: Server, monitor: Monitor, rid: str, plan: list[str]) -> list[dict[str, Any]]:
    out = []
    for kind in plan:
        seconds = SEGMENT_S if kind != "closed" else CLOSED_S
        t0, cpu0, mine0, avg = time.perf_counter(), _cpu_s(server.proc.pid), _own_cpu_s(), os.getloadavg()[0]
        load = None
        if kind == "unloaded":
            time.sleep(seconds)
        else:
            load = _load(_tab if kind == "bounded" else _closed_loop, server.url, rid, seconds)
        t1, cpu1, mine1 = time.perf_counter(), _cpu_s(server.proc.pid), _own_cpu_s()
        steps, span = monitor.rate(t0 + SETTLE_S, t0 + seconds)
        out.append({"kind": kind, "steps": steps, "seconds": span, "load": load,
                    "server_cpu_s": cpu1 - cpu0, "clients_cpu_s": mine1 - mine0, "wall_s": t1 - t0,
                    "load_avg_1m": avg})
        if monitor.status not in ("queued", "running"):
            raise RuntimeError(f"the training run ended during the load section: {monitor.status}")
    return out


def _sps(segments: list[dict], kind: str) -> float | None:
    steps = sum(s["steps"] for s in segments if s["kind"] == kind)
    seconds = sum(s["seconds"] for s in segments if s["kind"] == kind)
    return steps * BATCH / seconds if seconds else None


def _summary(segments: list[dict], kind: str, prefix: str, unloaded: float | None) -> dict[str, Any]:
    mine = [s for s in segments if s["kind"] == kind]
    if not mine:
        return {}
    lat = [x for s in mine for x in s["load"]["latencies"]]
    counts = {k: sum(s["load"][k] for s in mine) for k in STATUS}
    wall = sum(s["wall_s"] for s in mine)
    loaded = _sps(segments, kind)
    out = {f"{prefix}_{k}": v for k, v in counts.items()}
    out.update({
        f"{prefix}_seconds": round(wall, 1), f"{prefix}_requests_per_s": round(counts["requests"] / wall, 1),
        f"{prefix}_p95_ms": round(_p95(lat), 1) if lat else None,
        f"{prefix}_median_ms": round(statistics.median(lat), 1) if lat else None,
        f"{prefix}_server_cpu_percent": round(100 * sum(s["server_cpu_s"] for s in mine) / wall, 1),
        f"{prefix}_clients_cpu_percent": round(100 * sum(s["clients_cpu_s"] for s in mine) / wall, 1),
        f"{prefix}_train_samples_per_s": round(loaded, 1) if loaded else None,
        f"{prefix}_train_throughput_ratio": round(loaded / unloaded, 3) if loaded and unloaded else None,
    })
    return out


def api_under_load() -> dict[str, Any]:
    loaded_segments = max(1, round(LOADED_S / SEGMENT_S))
    plan = ["unloaded"] + ["bounded", "unloaded"] * loaded_segments + (["closed", "unloaded"] if CLOSED_S else [])
    with tempfile.TemporaryDirectory(prefix="graft-bench-load-") as tmp:
        server = Server(Path(tmp) / "ws")
        run = server.client.post("/api/runs", json=TRAIN)
        run.raise_for_status()
        rid = run.json()["id"]
        monitor = Monitor(httpx.Client(base_url=server.url, timeout=30), rid)
        monitor.start()
        try:
            monitor.wait_first_step()
            segments = _segments(server, monitor, rid, plan)
        finally:
            monitor.halt.set()
            monitor.join(5)
            server.client.post(f"/api/runs/{rid}/cancel")
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and server.client.get(f"/api/runs/{rid}").json()["status"] in (
                    "queued", "running"):
                time.sleep(0.1)
            server.close()
    unloaded = _sps(segments, "unloaded")
    return {
        "load_clients": CLIENTS, "load_rate_per_client": RATE, "load_segment_s": SEGMENT_S,
        "load_plan": plan, "load_mix": MIX, "load_cpu_count": os.cpu_count(),
        "unloaded_train_samples_per_s": round(unloaded, 1) if unloaded else None,
        "unloaded_server_cpu_percent": round(100 * sum(s["server_cpu_s"] for s in segments if s["kind"] == "unloaded")
                                             / sum(s["wall_s"] for s in segments if s["kind"] == "unloaded"), 1),
        **_summary(segments, "bounded", "load", unloaded),
        **_summary(segments, "closed", "load_closed", unloaded),
        "load_segments": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in s.items() if k != "load"}
                          for s in segments],
    }


if __name__ == "__main__":   # python -m bench.load: this section alone
    import json

    print(json.dumps(api_under_load(), indent=1))
