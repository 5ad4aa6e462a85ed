"""GET /api/events: Server-Sent Events with run progress.

The registry is read every 0.25 s and only what changed is sent, as `event: run` with the run's public record;
a comment line goes out every 15 s so proxies and the browser keep the stream. However many tabs are open, the
registry is read once per 0.25 s: the streams share one snapshot. A snapshot asks only whether anything changed
(cache.RunCache: nothing is read while the registry's data version stays) and turns into JSON only the runs
that did; a stream whose snapshot is the one it last saw has nothing to compare.
"""
from __future__ import annotations

import asyncio
import json
import time

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from .cache import RunCache
from .schemas import run_out

POLL_S = 0.25
HEARTBEAT_S = 15.0


def snapshot(ws) -> dict[str, dict]:
    return {r["id"]: run_out(r) for r in ws.list_runs(status=None)}


def snapshot_texts(ws) -> dict[str, tuple[str, str]]:
    """{run id: (status, the record as the stream sends it)}."""
    return {rid: (run["status"], json.dumps(run, default=str, separators=(",", ":")))
            for rid, run in snapshot(ws).items()}


class SharedSnapshot:
    """The runs as of at most `max_age` seconds ago, read by whichever stream asks first once it is older."""

    def __init__(self, ws, max_age: float = POLL_S, runs: RunCache | None = None):
        if runs is None:
            from .cache import DataVersion

            runs = RunCache(ws, DataVersion(ws))
        self.ws, self.max_age, self.runs = ws, max_age, runs
        self.taken = float("-inf")
        self.texts: dict[str, tuple[str, str]] = {}
        self.lock: asyncio.Lock | None = None
        self.reads = 0   # how many times the registry was read (a test checks the streams share them)
        self.messages: dict[str, tuple[str, bytes]] = {}

    def message(self, rid: str, text: str) -> bytes:
        """The `event: run` message of this record, encoded once for every stream that sends it."""
        kept = self.messages.get(rid)
        if kept is None or kept[0] is not text:
            kept = (text, f"event: run\nid: {rid}\ndata: {text}\n\n".encode())
            self.messages[rid] = kept
        return kept[1]

    async def get(self) -> dict[str, tuple[str, str]]:
        if self.lock is None:
            self.lock = asyncio.Lock()
        async with self.lock:
            if time.monotonic() - self.taken >= self.max_age:
                texts = await to_thread.run_sync(self.runs.texts)
                if texts != self.texts:   # unchanged: the same object, so that streams can tell at a glance
                    self.texts = texts
                self.taken = time.monotonic()
                self.reads += 1
            return self.texts


def router() -> APIRouter:
    r = APIRouter(tags=["runs"])

    @r.get("/events", response_class=StreamingResponse, summary="Run progress as Server-Sent Events",
           responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                            "description": "`event: run` lines whose data is a Run record, "
                                           "and `: ping` heartbeats"}})
    async def events(request: Request) -> StreamingResponse:
        state = request.app.state
        if getattr(state, "run_snapshot", None) is None:
            state.run_snapshot = SharedSnapshot(state.ws, runs=state.reads.runs)
        shared: SharedSnapshot = state.run_snapshot

        async def stream():
            sent: dict[str, str] = {}
            seen = None   # the snapshot compared last
            yield "retry: 2000\n: connected\n\n"
            first = True
            last_beat = time.monotonic()
            while True:
                if await request.is_disconnected():
                    return
                runs = await shared.get()
                for rid, (status, text) in (runs.items() if runs is not seen else ()):
                    if sent.get(rid) != text:
                        # on connect, report only the runs that are still moving; later, every change
                        if not first or status in ("queued", "running"):
                            yield shared.message(rid, text)
                        sent[rid] = text
                first, seen = False, runs
                if time.monotonic() - last_beat >= HEARTBEAT_S:
                    last_beat = time.monotonic()
                    yield ": ping\n\n"
                await asyncio.sleep(POLL_S)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    return r
