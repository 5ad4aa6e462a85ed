"""The job queue: runs (training, evaluation, workflow) execute in worker processes, at most `workers` at a
time, so the server stays responsive and a run carries on when the browser tab closes.

The registry's runs table is the queue and the progress channel: the API inserts a queued run, this
dispatcher starts `python -m graft.server.worker RUN_ID` for it, the worker writes its progress and outcome
to the same row, and the events stream reads it from there.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger("graft.server.jobs")

ACTIVE = ("queued", "running")
# the store has no 'cancelling' status: a user's cancel is SIGUSR1 (worker records 'cancelled'), while SIGTERM
# (server stopping) makes the worker record 'interrupted'
CANCEL_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGTERM)


def exit_reason(code: int) -> str:
    """How a worker ended, as a user reads it: a signal by name (SIGKILL from nowhere is the kernel's OOM killer)."""
    if code >= 0:
        return f"worker exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "unknown signal"
    hint = ": out of memory?" if -code == signal.SIGKILL else ""
    return f"worker killed by signal {-code} ({name}){hint}"


class JobRunner:
    def __init__(self, ws, workers: int = 1, poll_s: float = 0.5):
        self.ws, self.workers, self.poll_s = ws, max(1, int(workers)), poll_s
        self.procs: dict[str, subprocess.Popen] = {}
        self.lock = threading.Lock()
        # held while a worker's exit is judged (did it record an outcome?) and while a run is queued again, so the
        # exit of a resumed run's earlier worker is never taken for the new attempt's
        self.settling = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.cancelled: set[str] = set()

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._loop, name="graft-jobs", daemon=True)
            self.thread.start()

    def stop(self, terminate: bool = True, timeout: float = 10.0) -> None:
        """Stop dispatching; with terminate, ask running workers to stop (they record 'interrupted')."""
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)
            self.thread = None
        if terminate:
            with self.lock:
                procs = list(self.procs.values())
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
            self._reap()

    # -- requests from the API ------------------------------------------------------------------------------
    def submit(self, kind: str, request: dict, name: str = "") -> dict:
        run = self.ws.create_run(kind, request, name=name)
        self.wake.set()
        return run

    def cancel(self, run_id: str) -> dict:
        run = self.ws.get_run(run_id)
        if run["status"] == "queued":
            with self.lock:
                proc = self.procs.get(run_id)
            if proc is None:
                return self.ws.update_run(run_id, status="cancelled", error="cancelled before it started")
        if run["status"] not in ACTIVE:
            return run
        with self.lock:
            proc = self.procs.get(run_id)
            self.cancelled.add(run_id)
        if proc is not None and proc.poll() is None:
            proc.send_signal(CANCEL_SIGNAL)
        return run

    def resume(self, run_id: str, wait_s: float = 30.0) -> dict:
        """Queue a finished training run again. Its earlier worker has recorded its outcome but may still be
        exiting: it is waited for and forgotten first, so that its exit (and its last write) are not the new
        attempt's; ValueError when it does not exit within `wait_s`."""
        from ..ops.resume import requeue, resumable

        with self.settling:
            resumable(self.ws, run_id)
            with self.lock:
                earlier = self.procs.get(run_id)
            if earlier is not None:
                try:
                    earlier.wait(wait_s)
                except subprocess.TimeoutExpired:
                    raise ValueError(f"run {run_id}: its earlier worker (pid {earlier.pid}) is still stopping; "
                                     "resume it in a moment") from None
                with self.lock:
                    del self.procs[run_id]
                    self.cancelled.discard(run_id)
            run = requeue(self.ws, run_id)
        self.wake.set()
        return run

    def running(self) -> list[str]:
        with self.lock:
            return [rid for rid, p in self.procs.items() if p.poll() is None]

    # -- the dispatcher ------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self._reap()
                self._launch()
            except Exception:  # a bad row or a locked database must not kill the dispatcher
                log.exception("job dispatcher")
            self.wake.wait(self.poll_s)
            self.wake.clear()

    def _launch(self) -> None:
        with self.lock:
            free = self.workers - sum(1 for p in self.procs.values() if p.poll() is None)
            if free <= 0:
                return
            queued = [r for r in self.ws.list_runs(status="queued") if r["id"] not in self.procs]
        for run in sorted(queued, key=lambda r: str(r.get("created_at")))[:free]:
            self._spawn(run["id"])

    def _spawn(self, run_id: str) -> None:
        log_path = self.ws.layout.worker_log(run_id)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "graft.server.worker", run_id, "--workspace", str(self.ws.root)]
        if getattr(self.ws, "db_url", None):
            cmd += ["--db-url", str(self.ws.db_url)]
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[2])  # so the worker imports this very graft
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        with open(log_path, "ab") as out:
            # its own process group: a worker that must stop by force ends everything it started (torchrun)
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    start_new_session=True)
        with self.lock:
            self.procs[run_id] = proc
        log.info("run %s: worker pid %d", run_id, proc.pid)

    def _reap(self) -> None:
        with self.settling:
            with self.lock:
                ended = [(rid, p, rid in self.cancelled) for rid, p in self.procs.items() if p.poll() is not None]
                for rid, _, _ in ended:
                    del self.procs[rid]
                    self.cancelled.discard(rid)
            for rid, proc, cancelled in ended:
                run = self.ws.get_run(rid)
                if run["status"] in ACTIVE:  # the worker died without recording an outcome
                    status = "cancelled" if cancelled else "failed"
                    self.ws.update_run(rid, status=status,
                                       error=f"{exit_reason(proc.returncode)}: {self._tail(rid)}")

    def _tail(self, run_id: str, limit: int = 600) -> str:
        try:
            text = self.ws.layout.worker_log(run_id).read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-limit:].strip() or "(empty log)"
