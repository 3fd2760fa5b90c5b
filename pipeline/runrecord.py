"""The record of the last complete run, so that an unchanged re-run stops at once.

``sgpipe run`` on a folder it has already run on, with nothing changed, has nothing to
do; the stage keys of :mod:`pipeline.run` would find that out, but only after loading
pandas and reading every table (about 0.7 s). This module answers the same question
from file identities alone, with the standard library, before anything heavy loads.

After a complete run, :func:`write_record` keeps in ``<output>/.cache/run.json``:

- the run's **fingerprint** (:func:`fingerprint`): every file of the input folder
  (hidden files aside), every source and data file of the package, and every option
  that changes what a run writes (extraction options; the codebook, model and reviews
  files the theme options resolve to; ``--since``; ``--silent-months``), each file by
  its identity (size, modification time in nanoseconds, inode), taken when the run
  started;
- the identity of every file the run left in the output folder (the cache and the
  lock aside);
- the run's summary line (:class:`RunSummary`).

:func:`unchanged_run` returns that summary when the fingerprint and the output files
are exactly as recorded, else ``None``. A run that starts removes the record first, so
an interrupted run never looks complete. Like ``make`` and ``git status``, this trusts
that a file whose size, time and inode are unchanged has unchanged content; any
change of them (an edited, replaced, added or removed file) makes the run go through
the stages, which compare content.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.config import RunConfig

#: Where the record lives inside the output folder.
RECORD = Path(".cache") / "run.json"
#: Bumped when the record's layout changes (an older record is then ignored).
VERSION = 1
_PKG = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RunSummary:
    """What a run reports: documents found, extracted now, taken from the cache,
    duplicates, passages, and the documents that could not be read (path, status,
    error)."""

    documents: int
    extracted: int
    cached: int
    duplicates: int
    passages: int
    failed: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)


def _identity(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _tree(root: Path, *, suffixes: tuple[str, ...] = ()) -> dict[str, list[int] | None]:
    """``{relative POSIX path: identity}`` of the files under ``root``, hidden files and
    folders left out (the cache, the lock and atomic writes in progress are all hidden);
    only names ending in ``suffixes`` when given."""
    out: dict[str, list[int] | None] = {}
    if not root.is_dir():
        return out
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = Path(folder).relative_to(root)
        for name in sorted(files):
            if name.startswith(".") or (suffixes and not name.endswith(suffixes)):
                continue
            out[(rel / name).as_posix()] = _identity(Path(folder) / name)
    return out


def _option_file(value: object) -> list[Any] | None:
    """An option naming a file: its absolute path and identity (``None`` when unset)."""
    if value is None or value == "":
        return None
    path = Path(str(value)).resolve()
    return [str(path), _identity(path)]


def fingerprint(cfg: RunConfig) -> dict[str, Any]:
    """Everything a run's outputs depend on, as file identities and option values."""
    themes = cfg.themes.resolved()
    return {
        "version": VERSION,
        "input": str(Path(cfg.input_dir).resolve()),
        "input_files": _tree(Path(cfg.input_dir)),
        "code": _tree(_PKG, suffixes=(".py", ".json", ".yaml", ".yml")),
        "extract": cfg.options.key(),
        "codebook": _option_file(themes.codebook),
        "model": _option_file(themes.model),
        "reviews": _option_file(themes.reviews),
        "model_threshold": themes.model_threshold,
        "include_negated": themes.include_negated,
        "spacy_pipeline": themes.spacy_pipeline or "",
        "since": str(cfg.since or ""),
        "silent_months": cfg.silent_months,
    }


def output_files(output_dir: Path) -> dict[str, list[int] | None]:
    """Identity of every file of the output folder except the cache and the lock."""
    return _tree(Path(output_dir))


def clear_record(output_dir: Path) -> None:
    """Forget the last complete run (a run starting now may change the outputs)."""
    (Path(output_dir) / RECORD).unlink(missing_ok=True)


def write_record(output_dir: Path, started: dict[str, Any], summary: RunSummary) -> None:
    """Record a complete run: its fingerprint when it ``started``, the output files now,
    its summary. Written atomically (a temporary file renamed into place)."""
    out = Path(output_dir)
    record = {
        "fingerprint": started,
        "outputs": output_files(out),
        "summary": asdict(summary),
    }
    path = out / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def unchanged_run(cfg: RunConfig) -> RunSummary | None:
    """The summary of the last complete run when nothing it depends on has changed since
    and its outputs are as it left them; else ``None`` (the run must go through)."""
    out = Path(cfg.output_dir)
    try:
        record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint(cfg):
        return None
    if record.get("outputs") != output_files(out):
        return None
    try:
        summary = dict(record["summary"])
        summary["failed"] = tuple(tuple(f) for f in summary.get("failed", ()))
        return RunSummary(**summary)
    except (KeyError, TypeError):
        return None
