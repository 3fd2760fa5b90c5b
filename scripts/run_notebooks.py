"""Execute the notebooks against a run's outputs and keep rendered copies.

    python scripts/run_notebooks.py --output data/processed

Each ``notebooks/*.ipynb`` (kept in sync with its paired ``py:percent`` file by
``jupytext --sync``; a test checks it) is executed with nbclient in ``notebooks/`` with
``SGPIPE_OUTPUT`` pointing at the output folder; the executed copy, outputs
included, goes to ``<output>/notebooks/``. The committed notebooks stay without
outputs. Exits 1 when a notebook fails, naming the cell.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def execute(notebook: Path, output_dir: Path, *, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute one notebook in ``notebooks/`` against ``output_dir``; return it with outputs."""
    nb = jupytext.read(notebook)
    os.environ["SGPIPE_OUTPUT"] = str(output_dir.resolve())
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "data" / "processed")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    if not (args.output / "documents.parquet").exists():
        print(f"no pipeline outputs in {args.output}: run `make all` first", file=sys.stderr)
        return 1
    target = args.output / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    failed = 0
    for notebook in args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb")):
        start = time.perf_counter()
        try:
            nb = execute(notebook, args.output)
        except CellExecutionError as exc:
            print(f"{notebook.name}: FAILED\n{exc}", file=sys.stderr)
            failed += 1
            continue
        out = target / notebook.name
        tmp = out.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        tmp.replace(out)
        print(f"{notebook.name} -> {out} ({time.perf_counter() - start:.1f}s)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
