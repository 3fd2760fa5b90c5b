"""One run at a time per output folder (pipeline.lock, and the CLI's message)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.lock import LOCK_NAME, OutputLocked, lock_holder, output_lock

ROOT = Path(__file__).resolve().parents[1]

HOLDER = """
import sys, time
from pipeline.lock import output_lock
with output_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(folder: Path, seconds: float) -> subprocess.Popen[str]:
    """A process that holds ``folder``'s lock for ``seconds``, started once it holds it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_holder_stops_at_once_naming_the_folder_and_pid(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 30)
    try:
        assert lock_holder(tmp_path) == proc.pid
        with pytest.raises(OutputLocked) as err, output_lock(tmp_path):
            pass
        assert str(tmp_path) in str(err.value) and str(proc.pid) in str(err.value)
    finally:
        proc.kill()
        proc.wait()
    with output_lock(tmp_path):  # released when the holder died
        assert lock_holder(tmp_path) == os.getpid()


def test_wait_queues_behind_the_other_run(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 1.0)
    start = time.monotonic()
    with output_lock(tmp_path, wait=True, poll=0.05):
        # got only once the holder let go, after its second of holding (the holder's
        # process may still be exiting, so its exit code is not asked for here)
        assert time.monotonic() - start > 0.8
        assert lock_holder(tmp_path) == os.getpid()
    assert proc.wait(timeout=30) == 0


def test_the_same_process_may_lock_again(tmp_path: Path) -> None:
    with output_lock(tmp_path), output_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).is_file()
    proc = _hold(tmp_path, 0)  # and the lock is free afterwards
    proc.wait()


def test_cli_run_on_a_locked_folder_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _hold(out, 30)
    try:
        result = CliRunner().invoke(
            main, ["run", "--input", str(ROOT / "data" / "raw"), "--output", str(out)]
        )
    finally:
        proc.kill()
        proc.wait()
    assert result.exit_code == 1
    assert str(out) in result.output and f"process {proc.pid}" in result.output
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


@pytest.mark.parametrize("command", ["tables", "report", "link", "recommendations"])
def test_stage_commands_respect_the_lock(tmp_path: Path, command: str) -> None:
    proc = _hold(tmp_path, 30)
    try:
        args = [command, "--output", str(tmp_path)]
        if command in ("link", "recommendations"):
            args += ["--input", str(tmp_path)]
        result = CliRunner().invoke(main, args)
    finally:
        proc.kill()
        proc.wait()
    assert result.exit_code == 1 and "in use by another sgpipe run" in result.output


OUTPUTS = (
    "documents.parquet",
    "passages.parquet",
    "themes.parquet",
    "recommendations.parquet",
    "links.parquet",
    "tables/recommendation_coverage.csv",
    "tables/evidence.csv",
)


@pytest.mark.parametrize("wait", [False, True])
def test_two_concurrent_runs_on_one_folder(demo_run: Path, tmp_path: Path, wait: bool) -> None:
    """Two `sgpipe run` started together on one folder: one completes; the other waits
    (--wait) or stops with exit code 1 and the message; the outputs equal a single run's."""
    out = tmp_path / "out"
    cmd = [str(Path(sys.executable).parent / "sgpipe"), "-q", "run", "--jobs", "1"]
    cmd += ["--input", str(ROOT / "data" / "raw"), "--output", str(out)]
    cmd += ["--wait"] if wait else []
    first = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while lock_holder(out) != first.pid and time.monotonic() < deadline:  # it has started
        time.sleep(0.02)
    second = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in (first, second)]
    assert results[0][0] == 0, results
    if wait:
        assert results[1][0] == 0, results
    else:
        code, err = results[1]
        assert code == 1, results
        assert str(out) in err and f"in use by another sgpipe run (process {first.pid})" in err
    assert not list(out.rglob(".*.tmp"))
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (demo_run / name).read_bytes(), name
    # one run's briefing; a run that waited compares itself with the first (no change)
    changes = pd.read_csv(out / "tables" / "changes.csv", dtype=str, keep_default_na=False)
    assert list(changes["change"]) == ["compared_with"]
    if not wait:
        briefing = "tables/briefing.md"
        assert (out / briefing).read_bytes() == (demo_run / briefing).read_bytes()
