"""Atomic, deterministic writing of outputs, and content hashes.

Every output is written to a temporary file in the destination folder and then
renamed into place (``os.replace`` is atomic on POSIX), so an interrupted run
never leaves a half-written file under the final name. Parquet files are written
without timestamps and with rows in a stable order, so two runs on the same input
give byte-identical files.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import Table, conform

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_file_cached(path: str | os.PathLike[str]) -> str:
    """:func:`sha256_file`, remembered in this process for as long as the file keeps its
    identity (inode, size, modification time): stage keys hash the same outputs again
    and again, and outputs are only ever replaced whole (a new inode)."""
    p = Path(path)
    st = p.stat()
    return _sha256_by_identity(str(p.resolve()), st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256_by_identity(path: str, ino: int, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def sha256_text(text: str) -> str:
    """Return the hex SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    On an exception the temporary file is removed and the old file (if any) is left
    untouched.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> int:
    """Delete temporary files an interrupted run left in ``folder`` (recursively).

    Only files named like :func:`atomic_path`'s temporaries (``.<name>.<random>.tmp``)
    are removed. Returns how many were removed.
    """
    root = Path(folder)
    if not root.is_dir():
        return 0
    n = 0
    for tmp in root.rglob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            n += 1
    return n


def write_table(df: pd.DataFrame, table: Table, folder: str | os.PathLike[str]) -> Path:
    """Check ``df`` against ``table``'s contract, sort it by the table key and write it.

    Returns the path written.
    """
    out = conform(df, table)
    sort_cols = [c for c in table.key if c in out.columns]
    if sort_cols and len(out):
        out = out.sort_values(sort_cols, kind="stable").reset_index(drop=True)
    return write_parquet(out, Path(folder) / table.filename)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame to Parquet atomically and deterministically (no index, no timestamps)."""
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    # pandas metadata carries no timestamps, but drop it anyway: readers rebuild dtypes
    arrow = arrow.replace_schema_metadata(None)
    with atomic_path(path) as tmp:
        pq.write_table(arrow, tmp, compression="zstd", write_statistics=False)
    return Path(path)


def read_table(table: Table, folder: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one contract table from ``folder``; an absent file reads as an empty table."""
    path = Path(folder) / table.filename
    if not path.exists():
        return table.empty()
    df = pd.read_parquet(path)
    return conform(df, table)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame to UTF-8 CSV atomically (no index, ``\\n`` line ends)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write a UTF-8 text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write a binary file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(obj: Any, path: str | os.PathLike[str], *, indent: int | None = 2) -> Path:
    """Write JSON atomically with sorted keys, so equal objects give equal bytes.

    ``indent=None`` writes compact JSON, about twice as fast (Python's C encoder
    is used only without indentation): for machine-read files such as caches.
    """
    separators = (",", ":") if indent is None else None
    text = json.dumps(obj, indent=indent, separators=separators, sort_keys=True, ensure_ascii=False)
    return write_text(text + "\n", path)


def read_keyed(path: str | os.PathLike[str], key: str) -> Any | None:
    """The payload a cache file written by :func:`write_keyed` holds, when it was
    written under ``key``; ``None`` when the file is missing, unreadable or stale."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data.get("payload")


def write_keyed(payload: Any, path: str | os.PathLike[str], key: str) -> Path:
    """Cache ``payload`` (JSON-serialisable) under ``key``, compact and atomically."""
    return write_json({"key": key, "payload": payload}, path, indent=None)


def prune_cache(cache_dir: str | os.PathLike[str], keep: Iterable[str]) -> None:
    """Remove the ``*.json`` files of ``cache_dir`` whose stem is not in ``keep``."""
    folder = Path(cache_dir)
    if not folder.is_dir():
        return
    wanted = set(keep)
    for f in folder.glob("*.json"):
        if f.stem not in wanted:
            f.unlink(missing_ok=True)


def code_hash(files: Iterable[Path]) -> str:
    """Hash of source files, so a cached result is dropped when the code that made it changes."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


#: Installed packages whose data or matching the cached readings depend on (stop words,
#: lemmas; rapidfuzz's ratios decide restatements).
KEYED_PACKAGES = ("spacy", "spacy-lookups-data", "rapidfuzz")


@functools.lru_cache(maxsize=1)
def package_code_key() -> str:
    """:func:`code_hash` of the package's code and shipped data (``pipeline/**/*.py``
    and ``*.json``, the shipped models among them) and the versions of
    :data:`KEYED_PACKAGES`: the key under which a stage caches what that code computed."""
    from importlib.metadata import PackageNotFoundError, version

    package = Path(__file__).resolve().parent
    code = code_hash([*sorted(package.rglob("*.py")), *sorted(package.rglob("*.json"))])
    versions = []
    for name in KEYED_PACKAGES:
        try:
            versions.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name}=none")
    return hashlib.sha256("\x1f".join([code, *versions]).encode()).hexdigest()[:16]
