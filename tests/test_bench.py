"""The benchmark script runs (in --quick mode, on 2 generated pages): it cannot rot."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_quick(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    script = ROOT / "scripts" / "bench.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "pipeline[pdfium]" in proc.stdout
    result = json.loads(out.read_text())
    runs = {r["what"]: r for r in result["corpora"][0]["runs"]}
    assert {"extract_text", "extract[pdfium]", "pipeline[pdfium]"} <= set(runs)
    for r in runs.values():
        assert r["pages"] == 2 and r["words"] > 100 and r["pages_per_s"] > 0
    assert runs["extract[pdfium]"]["peak_mib"] > 0
    themes = result["themes"]["quick"]
    assert themes["words"] > 100 and themes["rules_words_per_s"] > 0
    assert themes["rules_model_words_per_s"] > 0 and "theme tagging on quick" in proc.stdout


def test_generated_document_has_the_realistic_parts(tmp_path: Path) -> None:
    from pipeline.config import ExtractOptions
    from pipeline.passages import extract_document

    path = tmp_path / "g.pdf"
    _bench().generate_document(path, pages=8, seed=3)
    row, passages = extract_document(path, "g.pdf", "x", ExtractOptions())
    kinds = {p["kind"] for p in passages}
    assert row["pages"] == 8
    assert {"heading", "paragraph", "bullet", "table", "footnote"} <= kinds
    assert any(p["ref"].count(".") == 1 for p in passages if p["kind"] == "paragraph")
    assert not any(p["text"] == "Page 3" for p in passages)  # footers are furniture
