"""GET /api/events: Server-Sent Events with run progress.

The registry is read every 0.25 s and only what changed is sent, as `event: run` with the run's public record;
a comment line goes out every 15 s so proxies and the browser keep the stream. However many tabs are open, the
registry is read (and each record turned into JSON) once per 0.25 s: the streams share one snapshot.
"""
from __future__ import annotations

import asyncio
import json
import time

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

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

    def __init__(self, ws, max_age: float = POLL_S):
        self.ws, self.max_age = ws, max_age
        self.taken = float("-inf")
        self.texts: dict[str, tuple[str, str]] = {}
        self.lock: asyncio.Lock | None = None
        self.reads = 0   # how many times the registry was read (a test checks the streams share them)

    async def get(self) -> dict[str, tuple[str, str]]:
        if self.lock is None:
            self.lock = asyncio.Lock()
        async with self.lock:
            if time.monotonic() - self.taken >= self.max_age:
                self.texts = await to_thread.run_sync(snapshot_texts, self.ws)
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
            state.run_snapshot = SharedSnapshot(state.ws)
        shared: SharedSnapshot = state.run_snapshot

        async def stream():
            sent: dict[str, str] = {}
            yield "retry: 2000\n: connected\n\n"
            first = True
            last_beat = time.monotonic()
            while True:
                if await request.is_disconnected():
                    return
                runs = await shared.get()
                for rid, (status, text) in runs.items():
                    if sent.get(rid) != text:
                        # on connect, report only the runs that are still moving; later, every change
                        if not first or status in ("queued", "running"):
                            yield f"event: run\nid: {rid}\ndata: {text}\n\n"
                        sent[rid] = text
                first = False
                if time.monotonic() - last_beat >= HEARTBEAT_S:
                    last_beat = time.monotonic()
                    yield ": ping\n\n"
                await asyncio.sleep(POLL_S)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    return r
