"""A cancel stops every kind of long operation within 2 s, at a moment drawn from a seed, and leaves nothing
registered (tests/ops/cancelling.py). The stress twin repeats each 20 times under load from a second process
(`make test-stress`)."""
import subprocess
import sys

import pytest

import cancelling as c

QUICK = {"propagation": c.propagation, "model_import": c.model_import, "dataset_import": c.dataset_import}


@pytest.mark.parametrize("kind", QUICK)
def test_a_cancel_stops_it_within_2_s_and_registers_nothing(kind, tmp_path):
    assert QUICK[kind](tmp_path, seed=1) < c.STOP_WITHIN_S


@pytest.mark.slow
def test_a_cancel_stops_every_ddp_rank_within_2_s(tmp_path, tiny_cnn):
    assert c.ddp_training(tmp_path, 1, tiny_cnn) < c.STOP_WITHIN_S


@pytest.fixture
def cpu_load():
    """A second process keeping a core busy for the test's length."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.stress
@pytest.mark.parametrize("round", range(20))
@pytest.mark.parametrize("kind", [*QUICK, "ddp"])
def test_stress_a_cancel_under_load(kind, round, tmp_path, cpu_load, tiny_cnn):
    took = c.ddp_training(tmp_path, round, tiny_cnn) if kind == "ddp" else QUICK[kind](tmp_path, round)
    assert took < c.STOP_WITHIN_S
