"""Compare two whole-run output folders file by file (every stage: Parquet, CSV, briefings).

Usage::

    python scripts/compare_stage_outputs.py REFERENCE_DIR NEW_DIR

Every file under the reference folder (the cache in ``.cache/`` aside) must exist
in the new folder with the same bytes, and the new folder may hold no other file:
the runs are deterministic (sorted tables, no timestamps, fixed ZIP times), so a
speed-up that leaves the output alone leaves the bytes alone. For a Parquet or CSV
file that differs, the first differing rows are printed. Exits 0 when both folders
are identical, 1 otherwise. Used to check that optimising the stages after
extraction (themes, recommendations, links, tables, report) changes no output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    }


def _table_diff(a: Path, b: Path, limit: int) -> list[str]:
    read = pd.read_parquet if a.suffix == ".parquet" else lambda p: pd.read_csv(p, dtype=str)
    try:
        x, y = read(a), read(b)
    except Exception as exc:  # a damaged file is a difference too
        return [f"  cannot read: {exc}"]
    out = []
    if list(x.columns) != list(y.columns):
        out.append(f"  columns: {list(x.columns)} -> {list(y.columns)}")
    if len(x) != len(y):
        out.append(f"  rows: {len(x)} -> {len(y)}")
    if list(x.dtypes.astype(str)) != list(y.dtypes.astype(str)):
        out.append(f"  dtypes: {list(x.dtypes.astype(str))} -> {list(y.dtypes.astype(str))}")
    shown = 0
    for i in range(min(len(x), len(y))):
        ra, rb = x.iloc[i].astype(str).tolist(), y.iloc[i].astype(str).tolist()
        if ra != rb:
            cols = [c for c, va, vb in zip(x.columns, ra, rb, strict=False) if va != vb]
            before = [ra[list(x.columns).index(c)] for c in cols]
            after = [rb[list(y.columns).index(c)] for c in cols]
            out.append(f"  row {i}: {cols}: {before} -> {after}")
            shown += 1
            if shown >= limit:
                break
    if not out:
        out.append("  same values, different bytes (encoding or metadata)")
    return out


def compare(reference: Path, new: Path, *, limit: int = 5) -> list[str]:
    """Differences between two output folders, as printable lines (empty: identical)."""
    ref_files, new_files = _files(reference), _files(new)
    out = [f"only in reference: {f}" for f in sorted(ref_files - new_files)]
    out += [f"only in new: {f}" for f in sorted(new_files - ref_files)]
    for name in sorted(ref_files & new_files):
        a, b = reference / name, new / name
        if a.read_bytes() == b.read_bytes():
            continue
        out.append(f"differs: {name}")
        if a.suffix in (".parquet", ".csv"):
            out += _table_diff(a, b, limit)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--limit", type=int, default=5, help="differing rows shown per table")
    args = parser.parse_args()
    diffs = compare(args.reference, args.new, limit=args.limit)
    for line in diffs:
        print(line)
    n = len(_files(args.reference))
    print(f"{n} files compared: {'identical' if not diffs else 'DIFFERENT'}", file=sys.stderr)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
