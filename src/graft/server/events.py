"""GET /api/events: Server-Sent Events with run progress.

The registry is polled every 0.25 s (a cheap indexed query) and only what changed is sent, as `event: run`
with the run's public record; a comment line goes out every 15 s so proxies and the browser keep the stream.
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


def router() -> APIRouter:
    r = APIRouter(tags=["runs"])

    @r.get("/events", response_class=StreamingResponse, summary="Run progress as Server-Sent Events",
           responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                            "description": "`event: run` lines whose data is a Run record, "
                                           "and `: ping` heartbeats"}})
    async def events(request: Request) -> StreamingResponse:
        ws = request.app.state.ws

        async def stream():
            sent: dict[str, str] = {}
            yield "retry: 2000\n: connected\n\n"
            first = True
            last_beat = time.monotonic()
            while True:
                if await request.is_disconnected():
                    return
                runs = await to_thread.run_sync(snapshot, ws)
                for rid, run in runs.items():
                    text = json.dumps(run, default=str, separators=(",", ":"))
                    if sent.get(rid) != text:
                        # on connect, report only the runs that are still moving; later, every change
                        if not first or run["status"] in ("queued", "running"):
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
