"""Training on several processes or machines with torch DistributedDataParallel, launched through torchrun.

`train_distributed(ws, request, run_id, nproc)` (called by ops.train.train_model when nproc > 1) starts
`python -m torch.distributed.run ... -m graft.ops.distributed` and waits. Each rank trains on its stride of
every global batch (engine.ddp); rank 0 alone writes checkpoints, records progress on the run and registers the
model; the other ranks exit when training ends. An error on any rank makes torchrun stop them all, and the run
fails with that rank's message. A cancel (`should_stop`) writes the job folder's `cancel` file, which every rank
checks once per batch (engine.loop) and stops at; torchrun and the ranks (their own process group) are terminated
when they have not ended within CANCEL_GRACE_S (a rank can be waiting in a collective for a peer that stopped).
Nothing is registered unless rank 0 got past its last check, in which case the run is done.

One machine: a free loopback port is the rendezvous. Several machines: run the same command on each with
GRAFT_NNODES=M and GRAFT_RDZV_ENDPOINT=HOST:PORT (a reachable address of one of them); every machine must see
the same workspace (a shared folder, or --db-url with a shared artifacts folder), since every rank reads the
data and foundations from it and rank 0, wherever it runs, registers there.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .cancel import Cancelled

REQUEST, RESULT, CANCEL = "request.json", "result.json", "cancel"
CANCEL_GRACE_S = 0.5      # then torchrun and the ranks (one process group) are terminated, and killed 0.5 s later:
STOP_GRACE_S = 0.5        # a cancel takes effect within 2 s
POLL_S = 0.1


class DistributedTrainingFailed(RuntimeError):
    pass


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_command(ws, run_id: str, job: Path, nproc: int, nnodes: int, endpoint: str | None) -> list[str]:
    local = endpoint is None
    endpoint = endpoint or f"127.0.0.1:{free_loopback_port()}"
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}", f"--nnodes={nnodes}",
           "--rdzv-backend=c10d", f"--rdzv-endpoint={endpoint}", f"--rdzv-id={run_id}", "--max-restarts=0"]
    if local:
        cmd.append("--local-addr=127.0.0.1")
    cmd += ["-m", "graft.ops.distributed", "--workspace", str(ws.root), "--run-id", run_id, "--job", str(job)]
    if getattr(ws, "db_url", None):
        cmd += ["--db-url", str(ws.db_url)]
    return cmd


def train_distributed(ws, request: dict, run_id: str, nproc: int, nnodes: int | None = None,
                      rdzv_endpoint: str | None = None, should_stop=None) -> dict:
    """Train `request` ({network, data, hparams, name, description}) on `nproc` processes per machine;
    returns the registry record of the model rank 0 registered. Raises Cancelled when `should_stop` says so."""
    nnodes = int(nnodes or os.environ.get("GRAFT_NNODES") or 1)
    rdzv_endpoint = rdzv_endpoint or os.environ.get("GRAFT_RDZV_ENDPOINT") or None
    if nproc < 1 or nnodes < 1:
        raise ValueError(f"nproc and nnodes: expected whole numbers >= 1, found {nproc} and {nnodes}")
    if nnodes > 1 and not rdzv_endpoint:
        raise ValueError("GRAFT_RDZV_ENDPOINT: expected HOST:PORT of the rendezvous when GRAFT_NNODES > 1")
    job = ws.run_dir(run_id) / "ddp"
    job.mkdir(parents=True, exist_ok=True)
    for old in [*job.glob("*.json"), job / CANCEL]:
        old.unlink(missing_ok=True)
    (job / REQUEST).write_text(json.dumps({**request, "progress": sys.stderr.isatty()}))
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])  # the ranks import this very graft
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    # each rank gets its share of the cores (torchrun would set 1 and warn)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    if rdzv_endpoint is None:
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    log = job / "torchrun.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(launch_command(ws, run_id, job, nproc, nnodes, rdzv_endpoint),
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
        try:
            code = _wait(proc, job, should_stop)
        except BaseException:
            _stop(proc, 10)
            raise
    if code is None:   # cancelled; rank 0 may have passed its last check and registered: then the run is done
        made = [m for m in ws.list_models() if m.get("run_id") == run_id]
        if made:
            return made[0]
        raise Cancelled(getattr(should_stop, "reason", "cancelled"))
    if code != 0:
        raise DistributedTrainingFailed(_failure(job, log, code))
    result = json.loads((job / RESULT).read_text()) if (job / RESULT).exists() else None
    if result is None:
        raise DistributedTrainingFailed(f"{job / RESULT}: rank 0 ended without registering a model "
                                        f"(log: {_tail(log)})")
    return ws.get_model(result["model_id"])


def _wait(proc: subprocess.Popen, job: Path, should_stop) -> int | None:
    """torchrun's exit code, or None when cancelled (the ranks are stopped by then)."""
    while True:
        try:
            return proc.wait(POLL_S)
        except subprocess.TimeoutExpired:
            pass
        if should_stop is not None and should_stop():
            (job / CANCEL).write_text("cancelled")
            try:
                proc.wait(CANCEL_GRACE_S)
            except subprocess.TimeoutExpired:
                _stop(proc, STOP_GRACE_S)
            return None


def _stop(proc: subprocess.Popen, timeout: float) -> None:
    """End torchrun and every rank: its process group, terminated, then killed after `timeout`."""
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc, signal.SIGKILL)    # the ranks too, even where torchrun has already gone
    proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _failure(job: Path, log: Path, code: int) -> str:
    errors = []
    for path in job.glob("rank-*.error.json"):
        try:
            errors.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    if not errors:
        return f"distributed training failed (torchrun exit code {code}): {_tail(log)}"
    first = min(errors, key=lambda e: e["time"])  # later ones are usually the others losing their peer
    return f"distributed training failed on rank {first['rank']}: {first['message']}"


def _tail(log: Path, limit: int = 800) -> str:
    try:
        return log.read_text(errors="replace")[-limit:].strip() or "(empty log)"
    except OSError:
        return "(no log)"


# -- one rank ---------------------------------------------------------------------------------------------------
def _follow(ws, request: dict, should_stop) -> None:
    """A rank other than 0: the same network, data and hyperparameters as ops.train._train, no registry writes.
    Weights need not match rank 0's here: DDP broadcasts rank 0's before the first step."""
    from ..engine.train import train
    from .train import feature_cache, prepare_training

    _, _, _, hp, train_ds, val_ds, model, _ = prepare_training(ws, request)
    train(model, train_ds, val_ds, {**hp, "progress": False}, feature_cache=feature_cache(ws),
          should_stop=should_stop)


def _rank_main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graft.ops.distributed")
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--db-url", default=None)
    args = ap.parse_args(argv)
    job, rank = Path(args.job), int(os.environ.get("RANK", "0"))
    from ..engine import ddp

    try:
        ddp.init()
        from ..store import Workspace
        from .progress import RunProgress, recording
        from .train import _train

        ws = Workspace(args.workspace, db_url=args.db_url)
        request = json.loads((job / REQUEST).read_text())
        cancel_file = job / CANCEL

        def should_stop() -> bool:   # one stat per batch
            return cancel_file.exists()
        if rank == 0:   # the rank that writes the registry records the run's progress
            progress = RunProgress(ws, args.run_id, int(request["hparams"].get("epochs", 1)))
            on_step, on_epoch = recording(progress, None, None)
            record = _train(ws, request, args.run_id, on_epoch, on_step, should_stop, bool(request.get("progress")),
                            False)
            (job / RESULT).write_text(json.dumps({"model_id": record["id"]}))
        else:
            _follow(ws, request, should_stop)
    except BaseException as err:
        message = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
        (job / f"rank-{rank}.error.json").write_text(json.dumps(
            {"rank": rank, "time": time.time(), "message": f"{type(err).__name__}: {message}"}))
        traceback.print_exc()
        return 1
    finally:
        ddp.close()
    return 0


if __name__ == "__main__":
    sys.exit(_rank_main())
