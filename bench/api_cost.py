"""CPU per request of the workbench's reads (issue 17, item 5): what each route of bench/load.py's MIX costs the
server, and what one idle live-event stream costs it per second.

`python -m bench.api_cost [N]` fills a workspace the way a day at the workbench would (30 runs, 20 models of
which 4 foundations sliced off them, 5 imported data sets, 10 evaluations: one of each made by the real ops,
the rest through the store's API from the real one's fields; finished runs carry 20 epoch rows and a full
400-point live curve), starts `graft ui` on it in a subprocess, and reads each MIX route N times (default 300)
one after another, taking the server process's CPU time (/proc) before and after. Then 50 event streams stay
open for BENCH_SSE_S seconds (default 10) with nothing else going on (a run is 'running', its record not
changing). BENCH_WS=PATH keeps the filled workspace there and reuses it (the same records before and after a
change). BENCH_PROFILE=1 also profiles the same requests in-process (cProfile); BENCH_PROFILE=only does only that.
"""
from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from .load import MIX, _cpu_s
from .system import Server

SSE_TABS, SSE_S = 50, float(os.environ.get("BENCH_SSE_S", "10"))
DATA = {"dataset": "mnist", "transforms": [{"limit": 512}]}


def _curve(points: int, epochs: int, rng: random.Random) -> list[dict]:
    return [{"epoch": round(epochs * (i + 1) / points, 4), "loss": rng.uniform(0.05, 2.3),
             "accuracy": rng.uniform(0.1, 0.99)} for i in range(points)]


def _cut(model: dict) -> str:
    """The suggested cut "before the classifier" (as the workbench offers it)."""
    from graft.spec.analyze import analyze
    from graft.spec.cuts import cut_points

    return cut_points(analyze(model["spec"]))[0]["node"]


def populate(root: Path) -> dict[str, int]:
    """The workspace at `root`, filled; returns the counts of its records."""
    from graft.ops import evaluate_model, slice_model, train_model
    from graft.ops.datasets import import_dataset
    from graft.store import Workspace

    rng = random.Random(0)
    with Workspace(root) as ws:
        model = train_model(ws, {"template": "lenet5"}, DATA, {"epochs": 2, "batch_size": 64},
                            name="lenet-real", progress_bar=False)
        real_run = ws.get_run(model["run_id"])
        evaluation = ws.get_evaluation(evaluate_model(ws, model["id"], DATA)["id"])
        weights = ws.model_path(model["id"], "weights.safetensors")
        fields = {k: v for k, v in model.items() if k not in ("id", "created_at", "run_id", "name")}
        models = [model]
        for i in range(15):   # finished training runs of 20 epochs, each with its model
            run = ws.create_run("train", real_run["request"], name=f"lenet-{i}", status="running")
            epochs = 20
            history = [{**real_run["history"][-1], "epoch": e + 1} for e in range(epochs)]
            progress = {**(real_run["progress"] or {}), "epoch": epochs, "epochs": epochs,
                        "curve": _curve(400, epochs, rng), "fraction": 1.0}
            ws.update_run(run["id"], progress=progress, history=history)
            rec = ws.register_model({**fields, "name": f"lenet-{i}", "run_id": run["id"]},
                                    {"weights.safetensors": weights})
            ws.update_run(run["id"], status="done", model_id=rec["id"])
            models.append(rec)
        for m in models[1:5]:
            models.append(slice_model(ws, m["id"], end=_cut(m), name=f"{m['name']}-foundation"))
        for i in range(9):
            ws.add_evaluation({"model_id": models[1 + i]["id"], "data": evaluation["data"],
                               "data_fingerprint": evaluation["data_fingerprint"],
                               "summary": {**evaluation["summary"], "model_name": models[1 + i]["name"]}},
                              predictions=ws.load_predictions(evaluation["id"]))
        npz = root.parent / "digits.npz"
        images = np.random.default_rng(0).integers(0, 255, (200, 28, 28), dtype=np.uint8)
        np.savez(npz, x_train=images, y_train=np.arange(200) % 10)
        for i in range(5):
            import_dataset(ws, npz, name=f"digits-{i}", test_fraction=0.2)
        for i in range(30 - len(ws.list_runs())):   # the rest: failed, cancelled, done, one running (try-0)
            status = "running" if i == 0 else rng.choice(["failed", "cancelled", "done"])
            run = ws.create_run("train", real_run["request"], name=f"try-{i}", status="running")
            ws.update_run(run["id"], progress={**(real_run["progress"] or {}), "curve": _curve(200, 10, rng)},
                          history=real_run["history"])
            if status != "running":
                ws.update_run(run["id"], status=status, error=None if status == "done" else "stopped")
        return {"runs": len(ws.list_runs()), "models": len(ws.list_models()),
                "datasets": len(ws.list_datasets()), "evaluations": len(ws.list_evaluations())}


def prepared(root: Path) -> str:
    """Fill the workspace at `root` unless it was filled before; returns the running run's id (owned by this
    process, so that the server leaves it 'running')."""
    from graft.store import Workspace

    if not (root / "registry.db").exists():
        t0 = time.perf_counter()
        counts = populate(root)
        print(f"workspace {counts} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    with Workspace(root) as ws:
        run = next(r for r in ws.list_runs() if r["name"] == "try-0")
        ws.update_run(run["id"], status="running", pid=os.getpid())
    return run["id"]


def per_request(server: Server, run: str, n: int) -> dict[str, dict[str, float]]:
    out = {}
    for route in dict.fromkeys(MIX):
        path = route.format(run=run)
        for _ in range(20):   # warm: imports, caches, connections
            server.client.get(path).raise_for_status()
        cpu0, t0 = _cpu_s(server.proc.pid), time.perf_counter()
        size = 0
        for _ in range(n):
            r = server.client.get(path)
            r.raise_for_status()
            size = len(r.content)
        cpu1, t1 = _cpu_s(server.proc.pid), time.perf_counter()
        out[route] = {"cpu_ms": 1000 * (cpu1 - cpu0) / n, "wall_ms": 1000 * (t1 - t0) / n, "bytes": size}
    return out


class Progress(threading.Thread):
    """Writes the run's progress every 0.3 s (as a training's RunProgress does), one more curve point each time."""

    def __init__(self, root: Path, run: str):
        super().__init__(daemon=True)
        self.root, self.run_id, self.halt = root, run, threading.Event()

    def run(self) -> None:
        from graft.store import Workspace

        with Workspace(self.root) as ws:
            progress = ws.get_run(self.run_id)["progress"]
            while not self.halt.wait(0.3):
                progress["curve"] = [*progress["curve"][1:], {"epoch": time.time() % 100, "loss": 0.5}]
                ws.update_run(self.run_id, progress=progress)


def sse_cost(server: Server, tabs: int, seconds: float, changing: Progress | None = None) -> float:
    """Server CPU ms per second per open event stream (with `changing`: while the followed run's record
    changes every 0.3 s, as during a training)."""
    async def main() -> float:
        async with httpx.AsyncClient(base_url=server.url, timeout=None,
                                     limits=httpx.Limits(max_connections=tabs + 5)) as c:
            async def hold() -> None:
                async with c.stream("GET", "/api/events") as r:
                    async for _ in r.aiter_lines():
                        pass
            tasks = [asyncio.create_task(hold()) for _ in range(tabs)]
            if changing is not None:
                changing.start()
            await asyncio.sleep(2)
            cpu0 = _cpu_s(server.proc.pid)
            await asyncio.sleep(seconds)
            cpu1 = _cpu_s(server.proc.pid)
            if changing is not None:
                changing.halt.set()
                changing.join()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return 1000 * (cpu1 - cpu0) / seconds / tabs
    return asyncio.run(main())


def idle_cpu(server: Server, seconds: float) -> float:
    cpu0 = _cpu_s(server.proc.pid)
    time.sleep(seconds)
    return 1000 * (_cpu_s(server.proc.pid) - cpu0) / seconds


def profile(root: Path, run: str, n: int, top: int = 30) -> str:
    """The MIX in-process, n rounds, under cProfile. Sync routes run inline rather than on anyio's threads
    (cProfile sees one thread); the work per request is the same."""
    import fastapi.routing
    import starlette.concurrency

    from graft.server.app import create_app

    async def inline(func, *args, **kwargs):
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline
    starlette.concurrency.run_in_threadpool = inline
    app = create_app(root, port=8000)
    prof = cProfile.Profile()

    async def rounds(c: httpx.AsyncClient, k: int) -> None:
        for _ in range(k):
            for route in MIX:
                (await c.get(route.format(run=run))).raise_for_status()

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
            await rounds(c, 2)
            prof.enable()
            await rounds(c, n)
            prof.disable()
    asyncio.run(go())
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory(prefix="graft-api-cost-") as tmp:
        root = Path(os.environ.get("BENCH_WS") or Path(tmp) / "ws")
        run = prepared(root)
        if os.environ.get("BENCH_PROFILE") == "only":
            print(profile(root, run, max(1, n // 6)))
            return
        server = Server(root)
        try:
            rows = per_request(server, run, n)
            idle = idle_cpu(server, 5)
            sse = sse_cost(server, SSE_TABS, SSE_S)
            training = sse_cost(server, SSE_TABS, SSE_S, Progress(root, run))
        finally:
            server.close()
        print(f"{'route':<22} {'CPU ms/req':>10} {'wall ms':>8} {'bytes':>8}   (N={n}, {os.cpu_count()} CPUs)")
        for route, r in rows.items():
            print(f"{route:<22} {r['cpu_ms']:>10.2f} {r['wall_ms']:>8.2f} {r['bytes']:>8}")
        weights = {route: MIX.count(route) / len(MIX) for route in rows}
        print(f"{'MIX mean':<22} {sum(rows[k]['cpu_ms'] * w for k, w in weights.items()):>10.2f}")
        print(f"server idle, no streams: {idle:.2f} CPU ms/s")
        print(f"SSE: {sse:.2f} CPU ms/s per idle stream ({SSE_TABS} streams, {SSE_S:.0f} s; the idle server's "
              f"share taken off: {sse - idle / SSE_TABS:.2f})")
        print(f"SSE while the followed run's record changes every 0.3 s: {training:.2f} CPU ms/s per stream")
        if os.environ.get("BENCH_PROFILE"):
            print(profile(root, run, max(1, n // 6)))


if __name__ == "__main__":
    main()
