"""The stage benchmark runs (in --quick mode, on the demo corpus): it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_stages_quick(tmp_path: Path) -> None:
    out = tmp_path / "stages.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_stages.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "incremental re-run" in proc.stdout
    result = json.loads(out.read_text())
    run = result["runs"]["jobs=1"]
    stages = ["extract", "themes", "recommendations", "links", "changes", "tables", "report"]
    assert list(run["fresh"]["wall"]) == ["imports", *stages]
    assert run["fresh"]["extracted"] == run["fresh"]["documents"] > 0
    assert run["unchanged"]["extracted"] == 0
    assert 0 < run["cli_unchanged_wall"] < 60
    inc = result["incremental"]
    added = inc["after_adding_one"]
    assert added["extracted"] == 1 and added["documents"] == inc["first"]["documents"] + 1
    assert inc["new_document_alone"]["passages"] > 0
