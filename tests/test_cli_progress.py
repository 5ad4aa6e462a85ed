"""`graft train` tells a person how it goes: one line per epoch (loss, accuracy, validation accuracy, seconds),
and a summary; and `graft evaluate` refuses a foundation with a message naming what it got and what it needs."""
import json
import re

import yaml

from test_cli import graft


def test_train_prints_a_line_per_epoch_with_validation_and_a_summary(tmp_path, tiny_cnn):
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(tiny_cnn))
    ws = str(tmp_path / "ws")
    proc = graft("train", str(net), "--limit", "400", "--epochs", "2", "--val-fraction", "0.25",
                 "--workspace", ws)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 2, proc.stdout
    for n, line in enumerate(lines, 1):
        assert re.match(rf"epoch {n}/2  loss \d+\.\d{{4}}  acc \d+\.\d\d%  val_loss \d+\.\d{{4}}  "
                        rf"val_acc \d+\.\d\d%  \d+\.\d s$", line), line
    assert re.search(r"registered model mdl-[0-9a-f]{12}", proc.stdout)
    assert re.search(r"train acc \(epoch mean\) \d+\.\d\d%, val acc \d+\.\d\d%", proc.stdout)
    assert re.search(r"2 epoch\(s\) in \d+\.\d s, \d+ samples/s", proc.stdout)
    # the run holds out 100 of the 400 images and records a validation accuracy per epoch
    rec = json.loads(graft("models", "list", "--workspace", ws, "--json").stdout)[0]
    run = json.loads(graft("runs", "--workspace", ws, "--json").stdout)[0]
    assert run["status"] == "done" and rec["metrics"]["val_accuracy"] is not None


def test_evaluate_refuses_a_foundation_naming_what_it_is(tmp_path, tiny_cnn):
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(tiny_cnn))
    ws = str(tmp_path / "ws")
    model = json.loads(graft("train", str(net), "--limit", "128", "--workspace", ws, "--json").stdout)
    fnd = json.loads(graft("slice", model["id"], "--to", "flatten", "--workspace", ws, "--json").stdout)
    proc = graft("evaluate", fnd["id"], "--workspace", ws, check=False)
    assert proc.returncode == 1
    err = proc.stderr
    assert fnd["id"] in err and "is a foundation" in err and "expected a model that outputs one score per class" in err
    assert "Traceback" not in err


def run_on_a_terminal(args: list[str], timeout: float = 300) -> str:
    """The bytes a 120-column terminal receives from `graft ARGS` (a pseudo-terminal on stdout and stderr)."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "graft", *args], stdin=side, stdout=side, stderr=side,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    os.close(side)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:   # the other end closed: the command ended
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout)
    os.close(main)
    return out.decode("utf-8", "replace")


def test_on_a_terminal_the_progress_bar_stays_with_the_time_taken(tmp_path, tiny_cnn):
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(tiny_cnn))
    out = run_on_a_terminal(["train", str(net), "--limit", "256", "--epochs", "2", "--workspace", str(tmp_path / "ws")])
    # what stays on screen: per line, the text after its last carriage return (a cleared bar leaves blanks)
    shown = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line).rstrip("\r").rsplit("\r", 1)[-1].strip() for line in out.split("\n")]
    bars = [line for line in shown if line.startswith("epoch 2/2:") and "100%" in line]
    assert bars, shown
    assert re.search(r"\d+/\d+ \[\d\d:\d\d<00:00", bars[-1])   # elapsed and time left, at its end
    assert [line for line in shown if re.match(r"epoch 1/2  loss", line)]
