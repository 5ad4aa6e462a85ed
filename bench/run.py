"""`make bench`: every figure measured in this one run, printed as one table and written to bench-results.json.

The machine may be shared: each section records the 1-minute load average when it started, next to its figures.
BENCH_STREAM_GB sets the larger-than-memory row's size (default 4; bench/streamed.py).
BENCH_LOAD_S sets how long 50 bounded clients (workbench tabs) load the API while a run trains (default 60, in
segments of BENCH_LOAD_SEGMENT_S=15 interleaved with unloaded ones; BENCH_LOAD_CLOSED_S=10 for the closed-loop row;
bench/load.py).
BENCH_SECTIONS=throughput,load (a comma list of the section names below) runs only those; `make bench-peers` is
the throughput section alone (graft's default against the plain loop and Lightning at their best), which CI runs
after the tests so that its log names the CI machine's CPU beside the ratios.
BENCH_FULL=1 runs the seed workflow exactly as shipped instead of with its base network trained for 1 epoch on
6,400 images (the head step, on all 60,000, is the memory peak either way). BENCH_TRAIN_SAMPLES sets the subset.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

from graft.engine.calibrate import cpu_name

from . import imported, load, streamed, system, training

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN = int(os.environ.get("BENCH_TRAIN_SAMPLES", "6400"))
PEERS = ("graft", "plain", "plain_best", "lightning", "lightning_bf16")
SECTIONS = ("throughput", "frozen_head", "imported", "ddp", "seed_workflow", "streamed", "api", "load", "start")
ONLY = [s for s in os.environ.get("BENCH_SECTIONS", "").split(",") if s.strip()]


def section(results: dict, loads: dict, name: str, fn: Callable[[], dict]) -> dict:
    if ONLY and name not in ONLY:
        return {}
    load = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    print(f"[bench] {name} (load {load}) ...", file=sys.stderr, flush=True)
    try:
        out = fn()
    except Exception as err:  # one broken section must not lose the others' figures
        print(f"[bench] {name} failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        out = {f"{name}_error": f"{type(err).__name__}: {err}"}
    loads[name] = {"load_avg_1m": load, "seconds": round(time.perf_counter() - t0, 1)}
    results.update(out)
    return out


def table(r: dict, loads: dict) -> str:
    def get(key, fmt="{}"):
        value = r.get(key)
        return "n/a" if value is None else fmt.format(value)

    sps = r.get("samples_per_s", {})
    ep = r.get("epoch_seconds", {})
    acc = r.get("test_accuracy", {})
    head_vs_full = r.get("head_epoch_vs_full_epoch")
    rows = [
        ("throughput", f"graft / plain PyTorch loop (samples/s ratio, example-cnn, {r.get('train_subset')} "
                       f"samples, batch 128)", get("train_throughput_ratio_vs_plain", "{:.2f}x")),
        ("throughput", "graft / plain loop at its best (bf16 autocast, channels-last, fused Adam)",
         get("train_throughput_ratio_vs_best_plain", "{:.2f}x")),
        ("throughput", "graft / Lightning Trainer 32-true", get("train_throughput_ratio_vs_lightning", "{:.2f}x")),
        ("throughput", "graft / Lightning Trainer bf16-mixed (channels-last)",
         get("train_throughput_ratio_vs_lightning_bf16", "{:.2f}x")),
        ("throughput", f"graft's precision: auto, calibrated in {r.get('calibration_s')} s on {r.get('cpu')}",
         get("precision")),
        ("throughput", f"samples/s {' | '.join(PEERS)}", " | ".join(f"{sps.get(k, 0):.0f}" for k in PEERS)),
        ("throughput", "epoch s (each run), same order",
         " | ".join(",".join(f"{v:.2f}" for v in ep.get(k, [])) for k in PEERS)),
        ("throughput", "test acc (2,000; mean of 3 seeds), same order",
         " | ".join(f"{100 * acc.get(k, 0):.1f}" for k in PEERS)),
        ("evaluate", "evaluation samples/s (10,000 test images, batch 256)", get("eval_samples_per_s", "{:.0f}")),
        ("frozen head", "naive epoch / cache-filled epoch (speedup)", get("frozen_head_epoch_speedup", "{:.2f}x")),
        ("frozen head", "cache-filled epoch / plain floor on precomputed features", get("frozen_head_vs_floor",
                                                                                         "{:.2f}x")),
        ("frozen head", "cold call (fills cache) / naive call", get("frozen_head_cold_vs_naive", "{:.2f}x")),
        ("frozen head", "accuracy delta, cached - naive (points)", get("frozen_head_accuracy_delta", "{:+.2f}")),
        ("frozen head", "plain hand-written naive loop (DataLoader, frozen part every step) / cache-filled epoch",
         get("frozen_head_speedup_vs_plain_naive", "{:.2f}x")),
        ("frozen head", "the same speedup with precision fp32 (naive s / warm s, one run)",
         f"{get('frozen_head_epoch_speedup_fp32', '{:.2f}x')} ({get('fp32_naive_epoch_s')} / {get('fp32_warm_epoch_s')})"),
        ("frozen head", "epoch s naive | warm | floor",
         " | ".join(",".join(f"{v:.2f}" for v in r.get(k, [])) for k in ("naive_epoch_s", "warm_epoch_s",
                                                                           "floor_epoch_s"))),
        ("frozen head", "head-only epoch / full epoch (same samples)",
         "n/a" if head_vs_full is None else f"{head_vs_full:.3f}"),
        ("imported", f"ResNet-18 imported (from_torch), frozen, Linear head, {r.get('imported_subset')} 3x64x64: "
                     "naive epoch / warm epoch", get("imported_head_epoch_speedup", "{:.1f}x")),
        ("imported", "epoch s naive | warm", " | ".join(",".join(f"{v:.3f}" for v in r.get(k, []))
                                                       for k in ("imported_naive_epoch_s", "imported_warm_epoch_s"))),
        ("imported", f"feature extraction images/s; fraction of the matmul rate ({r.get('matmul_gflops')} GFLOP/s), "
                     f"{r.get('imported_precision')}", f"{get('imported_extract_images_per_s', '{:.0f}')}; "
                                                       f"{get('imported_extract_fraction_of_matmul', '{:.2f}')}"),
        ("imported", f"the same in float32 ({r.get('matmul_gflops_fp32')} GFLOP/s)",
         f"{get('imported_extract_images_per_s_fp32', '{:.0f}')}; "
         f"{get('imported_extract_fraction_of_matmul_fp32', '{:.2f}')}"),
        ("ddp", f"2-process - 1-process test accuracy (points; {r.get('ddp_network')}, 60k, "
                f"{r.get('ddp_epochs')} epoch)", get("ddp2_accuracy_delta", "{:+.2f}")),
        ("ddp", "wall s 1 proc | 2 procs; models the 2-process run registered", f"{get('ddp1_seconds')} | {get('ddp2_seconds')}; "
                                                              f"{get('ddp2_models_registered')}"),
        ("memory", f"seed workflow peak RSS MB (base epochs {r.get('seed_workflow_base_epochs')})",
         get("peak_rss_mb_seed_workflow", "{:.0f}")),
        ("memory", "seed workflow wall s", get("seed_workflow_seconds")),
        ("streamed", f"peak RSS MB import | train 1 epoch, {r.get('stream_gb')} GB of 3x64x64 pixels "
                     f"({r.get('stream_images')} images, raw IDX, streamed from disk)",
         f"{get('stream_import_peak_rss_mb')} | {get('stream_train_peak_rss_mb')}"),
        ("streamed", "import s | train epoch s | train samples/s (AvgPool-Linear, batch 256)",
         f"{get('stream_import_s')} | {get('stream_train_epoch_s')} | {get('stream_train_samples_per_s')}"),
        ("streamed", f"streamed / in memory samples/s on the first {r.get('stream_inmem_gb')} GB "
                     f"(in memory: peak RSS {r.get('stream_inmem_peak_rss_mb')} MB)",
         f"{get('stream_vs_inmem', '{:.2f}x')} ({get('stream_slice_samples_per_s')} / "
         f"{get('stream_inmem_samples_per_s')})"),
        ("api", "p95 ms list+detail while a run trains", get("api_p95_ms_during_training")),
        ("api", "p95 ms list | detail; median ms", f"{get('api_p95_ms_list')} | {get('api_p95_ms_detail')}; "
                                                   f"{get('api_median_ms')}"),
        ("api", "live updates (SSE run events/s while training)", get("sse_events_per_s")),
        ("load", f"{r.get('load_clients')} tabs (events + {r.get('load_rate_per_client')} read/s), "
                 f"{r.get('load_seconds')} s, a run training: requests | 5xx | 4xx | errors",
         f"{get('load_requests')} | {get('load_5xx')} | {get('load_4xx')} | {get('load_transport_errors')}"),
        ("load", "tabs: p95 ms | median | requests/s | CPU % of a core: server, clients",
         f"{get('load_p95_ms')} | {get('load_median_ms')} | {get('load_requests_per_s')} | "
         f"{get('load_server_cpu_percent')}, {get('load_clients_cpu_percent')}"),
        ("load", "tabs: training samples/s loaded / unloaded (one run, interleaved)",
         f"{get('load_train_throughput_ratio', '{:.2f}x')} ({get('load_train_samples_per_s')} / "
         f"{get('unloaded_train_samples_per_s')})"),
        ("load", f"closed loop (next request at once), {r.get('load_closed_seconds')} s: 5xx | p95 ms | "
                 "requests/s",
         f"{get('load_closed_5xx')} | {get('load_closed_p95_ms')} | {get('load_closed_requests_per_s')}"),
        ("load", "closed loop: training samples/s loaded / unloaded",
         f"{get('load_closed_train_throughput_ratio', '{:.2f}x')} ({get('load_closed_train_samples_per_s')} / "
         f"{get('unloaded_train_samples_per_s')})"),
        ("start", "graft --help s", get("help_seconds")),
        ("start", "graft ui first response s", get("ui_first_response_seconds")),
    ]
    load_of = {"throughput": "throughput", "evaluate": "throughput", "frozen head": "frozen_head",
               "imported": "imported", "ddp": "ddp",
               "memory": "seed_workflow", "streamed": "streamed", "api": "api", "load": "load", "start": "start"}
    width = max(len(r[1]) for r in rows)
    lines = [f"{'area':<12} {'measure':<{width}}  {'value':<24} load", "-" * (width + 48)]
    for area, what, value in rows:
        if ONLY and load_of[area] not in ONLY:
            continue
        lines.append(f"{area:<12} {what:<{width}}  {value:<24} {loads.get(load_of[area], {}).get('load_avg_1m')}")
    return "\n".join(lines)


def main() -> int:
    unknown = sorted(set(ONLY) - set(SECTIONS))
    if unknown:
        print(f"BENCH_SECTIONS: unknown section(s) {', '.join(unknown)}; expected some of {', '.join(SECTIONS)}",
              file=sys.stderr)
        return 2
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {cpu_name()}",
                               "cpu": cpu_name(), "torch": torch.__version__, "cuda": torch.cuda.is_available()}
    loads: dict[str, dict] = {}
    tp = section(results, loads, "throughput", lambda: training.throughput(N_TRAIN))
    base = tp.pop("trained_cnn", None)
    results.pop("trained_cnn", None)
    if base is not None:
        section(results, loads, "frozen_head", lambda: training.frozen_head(base, N_TRAIN))
        if results.get("warm_epoch_s") and results.get("epoch_seconds"):
            warm = sorted(results["warm_epoch_s"])[len(results["warm_epoch_s"]) // 2]
            full = sorted(results["epoch_seconds"]["graft"])[len(results["epoch_seconds"]["graft"]) // 2]
            results["head_epoch_vs_full_epoch"] = round(warm / full, 4)
    section(results, loads, "imported", imported.imported_foundation)
    section(results, loads, "ddp", system.ddp_accuracy)
    section(results, loads, "seed_workflow", lambda: system.seed_workflow_rss(os.environ.get("BENCH_FULL") == "1"))
    section(results, loads, "streamed", streamed.streamed)
    section(results, loads, "api", system.api_during_training)
    section(results, loads, "load", load.api_under_load)
    section(results, loads, "start", lambda: {"help_seconds": system.help_seconds(),
                                              "ui_first_response_seconds": results.get("server_first_response_s")})
    results["load_average"] = loads
    text = table(results, loads)
    print(text)
    (ROOT / "bench-results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"\nwrote {ROOT / 'bench-results.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
