"""The stage graph: which stage reads and writes what, with incremental re-runs.

``extract`` reads ``data/raw/`` and writes ``documents.parquet`` and
``passages.parquet``. Each document is processed in its own task (``--jobs``
processes); a document whose bytes, extraction options and extraction code are
unchanged since the last run is taken from the cache in ``<output>/.cache/``
instead of being read again. Later stages read the stage outputs only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import schema, store
from pipeline.config import ExtractOptions, RunConfig
from pipeline.documents import load_manifest, make_doc_id
from pipeline.frames import itertuples
from pipeline.lock import output_lock
from pipeline.passages import document_row, extract_task
from pipeline.rag import format_mapping
from pipeline.rag import load_config as load_rag_config
from pipeline.runrecord import RunSummary, clear_record, fingerprint, write_record
from pipeline.store import code_hash

log = logging.getLogger(__name__)

#: How extraction workers are started on Linux. Forked workers inherit the
#: parent's imports: two start in 0.15 s, against 0.4 s (forkserver, the default
#: from Python 3.14) and 0.5 s (spawn). Elsewhere the platform's default is used;
#: the task function lives in ``pipeline.passages``, which does not import
#: pandas, so a worker started fresh imports only what extraction needs.
EXTRACT_START_METHOD = "fork"
#: Files in the input folder that configure the run rather than being documents.
CONFIG_FILES = {"manifest.csv", "recommendations.csv", "rag_mapping.csv"}
_PKG = Path(__file__).resolve().parent
#: Source files whose code decides what extraction produces (part of the cache key).
EXTRACT_CODE = [
    *sorted((_PKG / "extract").glob("*.py")),
    _PKG / "passages.py",
    _PKG / "config.py",
    _PKG / "structure.py",
    _PKG / "speakers.py",
    _PKG / "documents.py",
    _PKG / "textnorm.py",
]


@dataclass
class ExtractResult:
    """What the extract stage did."""

    documents: pd.DataFrame
    passages: pd.DataFrame
    extracted: int = 0
    cached: int = 0

    @property
    def failed(self) -> pd.DataFrame:
        """Documents that could not be read (not ``ok`` and not a recognised duplicate)."""
        return self.documents[~self.documents["status"].isin(["ok", "duplicate"])]

    def summary(self) -> RunSummary:
        """The counts a run reports, and the documents that could not be read."""
        docs = self.documents
        failed = self.failed
        return RunSummary(
            documents=len(docs),
            extracted=self.extracted,
            cached=self.cached,
            duplicates=int((docs["status"] == "duplicate").sum()) if len(docs) else 0,
            passages=len(self.passages),
            failed=tuple((str(r.path), str(r.status), str(r.error)) for r in itertuples(failed)),
        )


def list_inputs(input_dir: Path) -> list[str]:
    """Input-relative POSIX paths of every document file, sorted.

    Hidden files and the run's configuration files (manifest, curated
    recommendations) are skipped.
    """
    out = []
    for path in sorted(input_dir.rglob("*")):
        rel = path.relative_to(input_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_dir():
            continue
        if len(rel.parts) == 1 and rel.name.lower() in CONFIG_FILES:
            continue
        out.append(rel.as_posix())
    return out


def _hash_or_error(path: Path) -> tuple[str, str]:
    try:
        return store.sha256_file(path), ""
    except PermissionError as exc:
        return "", f"permission denied: {exc.strerror}"
    except OSError as exc:
        return "", f"could not be opened: {exc.strerror or exc}"


def run_extract(cfg: RunConfig) -> ExtractResult:
    """Extract every document of ``cfg.input_dir``; write documents and passages tables.

    Holds the output folder's lock (:mod:`pipeline.lock`) while it works.
    """
    if not Path(cfg.input_dir).is_dir():
        raise FileNotFoundError(f"input folder not found: {cfg.input_dir}")
    with output_lock(cfg.output_dir, wait=cfg.wait):
        return _run_extract(cfg)


def _run_extract(cfg: RunConfig) -> ExtractResult:
    input_dir, out = Path(cfg.input_dir), Path(cfg.output_dir)
    manifest = load_manifest(input_dir)
    rag_default = format_mapping(load_rag_config(input_dir))
    if stale := store.remove_stale_temporaries(out):
        log.info("removed %d temporary files left by an interrupted run", stale)
    cache_dir = out / ".cache" / "extract"
    key_suffix = f"{cfg.options.key()};code={code_hash(EXTRACT_CODE)}"
    relpaths = list_inputs(input_dir)
    for rel in sorted(set(manifest) - set(relpaths)):
        log.warning("manifest.csv: %s: no such document in %s; its row is ignored", rel, input_dir)
    rows: dict[str, dict[str, Any]] = {}
    passages: dict[str, list[dict[str, Any]]] = {}
    todo: list[tuple[str, str]] = []
    first_by_hash: dict[str, str] = {}
    cached = 0
    for rel in relpaths:
        sha, err = _hash_or_error(input_dir / rel)
        if err:
            rows[rel] = document_row(
                rel, "", Path(rel).suffix.lstrip(".").lower(), status="error", error=err
            )
            continue
        if sha in first_by_hash:
            rows[rel] = document_row(
                rel,
                sha,
                Path(rel).suffix.lstrip(".").lower(),
                status="duplicate",
                duplicate_of=first_by_hash[sha],
                error=f"same content as {first_by_hash[sha]}; counted once",
            )
            continue
        first_by_hash[sha] = rel
        hit = _read_cache(cache_dir, rel, _cache_key(sha, key_suffix, manifest.get(rel)))
        if hit is not None:
            rows[rel], passages[rel] = hit
            cached += 1
        else:
            todo.append((rel, sha))
    for rel, sha, (row, plist) in _run_tasks(cfg, todo, manifest):
        rows[rel], passages[rel] = row, plist
        _write_cache(cache_dir, rel, _cache_key(sha, key_suffix, manifest.get(rel)), row, plist)
    store.prune_cache(cache_dir, {make_doc_id(r) for r in relpaths})
    docs = pd.DataFrame([_apply_manifest(rows[r], manifest.get(r), rag_default) for r in relpaths])
    if docs.empty:
        docs = schema.DOCUMENTS.empty()
    all_passages = [p for r in relpaths for p in passages.get(r, [])]
    pdf = pd.DataFrame(all_passages) if all_passages else schema.PASSAGES.empty()
    for _, row in docs.iterrows():
        if row["status"] not in ("ok",):
            log.warning("%s: %s: %s", input_dir / row["path"], row["status"], row["error"])
    store.write_table(docs, schema.DOCUMENTS, out)
    store.write_table(pdf, schema.PASSAGES, out)
    return ExtractResult(docs, pdf, extracted=len(todo), cached=cached)


def _cache_key(sha: str, suffix: str, entry: dict[str, str] | None) -> str:
    return f"{sha};{suffix};type={(entry or {}).get('doc_type', '')}"


def _apply_manifest(
    row: dict[str, Any], entry: dict[str, str] | None, rag_default: str = ""
) -> dict[str, Any]:
    row = dict(row)
    row.setdefault("review", "")
    # what the document's RAG colours mean: its manifest row, else rag_mapping.csv
    row["rag_mapping"] = (entry or {}).get("rag") or rag_default
    if not entry:
        return row
    for col in ("doc_type", "title", "date", "review"):
        if entry.get(col):
            row[col] = entry[col]
            if col == "date":
                row["date_source"] = "manifest"
    return row


def _run_tasks(
    cfg: RunConfig, todo: list[tuple[str, str]], manifest: dict[str, dict[str, str]]
) -> Iterable[tuple[str, str, tuple[dict[str, Any], list[dict[str, Any]]]]]:
    """Extract documents in parallel processes (one document per task), with progress."""
    if not todo:
        return []
    from tqdm import tqdm

    bar = tqdm(
        total=len(todo),
        desc="extract",
        unit="doc",
        file=sys.stderr,
        disable=not cfg.progress or len(todo) < 4,
        mininterval=0.5,
    )
    results = []
    jobs = min(cfg.n_jobs, len(todo))

    def args(rel: str, sha: str) -> tuple[str, str, str, ExtractOptions, str]:
        doc_type = (manifest.get(rel) or {}).get("doc_type", "")
        return str(cfg.input_dir / rel), rel, sha, cfg.options, doc_type

    if jobs == 1:
        for rel, sha in todo:
            results.append((rel, sha, extract_task(*args(rel, sha))))
            bar.update()
    else:
        # largest files first, so that no worker is left with a long document at the
        # end while the others idle (documents are uneven: one may be a third of the
        # pages); results are put back in input order by the caller
        order = sorted(todo, key=lambda t: _file_size(cfg.input_dir / t[0]), reverse=True)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context()) as pool:
            futures = {pool.submit(extract_task, *args(rel, sha)): (rel, sha) for rel, sha in order}
            for fut in as_completed(futures):
                rel, sha = futures[fut]
                try:
                    results.append((rel, sha, fut.result()))
                except Exception as exc:  # a worker crash must not lose the other documents
                    row = document_row(
                        rel,
                        sha,
                        Path(rel).suffix.lstrip(".").lower(),
                        status="error",
                        error=f"extraction crashed ({type(exc).__name__}: {exc})",
                    )
                    results.append((rel, sha, (row, [])))
                bar.update()
    bar.close()
    return results


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _pool_context():
    """Fork on Linux (see ``EXTRACT_START_METHOD``), the platform's default elsewhere."""
    import multiprocessing as mp

    if sys.platform.startswith("linux") and EXTRACT_START_METHOD in mp.get_all_start_methods():
        return mp.get_context(EXTRACT_START_METHOD)
    return mp.get_context()


def _cache_file(cache_dir: Path, rel: str) -> Path:
    return cache_dir / f"{make_doc_id(rel)}.json"


def _read_cache(
    cache_dir: Path, rel: str, key: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    data = store.read_keyed(_cache_file(cache_dir, rel), key)
    if not isinstance(data, dict) or data.get("path") != rel:
        return None
    return data["document"], data["passages"]


def _write_cache(
    cache_dir: Path, rel: str, key: str, row: dict[str, Any], plist: list[dict[str, Any]]
) -> None:
    # read by the next run only: compact JSON is written twice as fast
    payload = {"path": rel, "document": row, "passages": plist}
    store.write_keyed(payload, _cache_file(cache_dir, rel), key)


def run_themes(cfg: RunConfig) -> Any:
    """Tag the themes of every passage: ``passages.parquet`` -> ``themes.parquet``."""
    from pipeline.themes.stage import tag_stage

    return tag_stage(cfg)


def _recommendations(cfg: RunConfig) -> Any:
    from pipeline.tracing.recommendations import recommendations_stage

    return recommendations_stage(cfg)


def _links(cfg: RunConfig) -> Any:
    from pipeline.tracing.link import link_stage

    return link_stage(cfg)


#: The stages after extraction, in order: name -> function(cfg). Themes come first:
#: recommendations and links read themes.parquet. Later issues add tables and report here.
Stage = Callable[[RunConfig], Any]
STAGES: dict[str, Stage] = {
    "themes": run_themes,
    "recommendations": _recommendations,
    "links": _links,
}


def run_all(cfg: RunConfig) -> ExtractResult:
    """Run extraction and then every registered stage, in order.

    A stage whose inputs, settings and code are unchanged since it last ran here,
    and whose outputs are still as it wrote them, is skipped (:func:`run_stage`).
    The output folder is locked for the whole run (:mod:`pipeline.lock`): a second
    run on it stops at once with :class:`pipeline.lock.OutputLocked` (or waits, with
    ``cfg.wait``). A complete run is recorded (:mod:`pipeline.runrecord`), so that
    ``sgpipe run`` can tell that nothing has changed without loading anything.
    """
    if not Path(cfg.input_dir).is_dir():
        raise FileNotFoundError(f"input folder not found: {cfg.input_dir}")
    with output_lock(cfg.output_dir, wait=cfg.wait):
        clear_record(cfg.output_dir)  # an interrupted run must not look complete
        started = fingerprint(cfg)
        result = run_extract(cfg)
        for name, stage in STAGES.items():
            log.info("stage %s", name)
            run_stage(cfg, name, stage)
        write_record(cfg.output_dir, started, result.summary())
        return result


#: Files of the input folder that stages after extraction read.
STAGE_INPUT_FILES = ("recommendations.csv",)
#: The stage output tables each stage reads (a stage not listed: every table it does
#: not write itself).
STAGE_READS = {
    "themes": ("documents", "passages"),
    "recommendations": ("documents", "passages", "themes"),
    "links": ("documents", "passages", "recommendations", "themes"),
}
#: Each stage's main outputs, checked before it is skipped even when the stage's last
#: run wrote nothing (the theme stage skips its own work when its inputs are unchanged).
STAGE_OUTPUTS = {
    "themes": ("themes.parquet",),
    "recommendations": ("recommendations.parquet",),
    "links": ("links.parquet",),
    "changes": ("changes.parquet",),
}


def run_stage(cfg: RunConfig, name: str, stage: Stage) -> Any:
    """Run one registered stage, or skip it when nothing it depends on has changed.

    Its key hashes the stage output tables it reads (:data:`STAGE_READS`), the input
    folder's configuration files (:data:`STAGE_INPUT_FILES`), the theme
    options (codebook, model and reviews by content) and the whole package's code. A
    stage is skipped when its key is the one recorded in ``.cache/stages/<name>.json``
    and every file it wrote then still has the bytes it wrote: a deleted or edited
    output is rebuilt. Returns the stage's result, or ``None`` when skipped. (The
    theme stage keeps its own finer per-document cache as well.)
    """
    with output_lock(cfg.output_dir, wait=cfg.wait):
        return _run_stage(cfg, name, stage)


def _run_stage(cfg: RunConfig, name: str, stage: Stage) -> Any:
    out = Path(cfg.output_dir)
    record = out / ".cache" / "stages" / f"{name}.json"
    key = _stage_key(cfg, name)
    try:
        done = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = {}
    if done.get("key") == key and _unchanged(out, done.get("wrote", {})):
        log.info("%s: inputs unchanged, outputs kept", name)
        return None
    record.unlink(missing_ok=True)  # an interrupted stage must not look done
    before = _snapshot(out)
    result = stage(cfg)
    after = _snapshot(out)
    changed = {rel for rel, ident in after.items() if before.get(rel) != ident}
    changed |= {rel for rel in STAGE_OUTPUTS.get(name, ()) if rel in after}
    wrote = {rel: store.sha256_file_cached(out / rel) for rel in sorted(changed)}
    store.write_json({"key": key, "wrote": wrote}, record)
    return result


def _stage_key(cfg: RunConfig, name: str) -> str:
    out = Path(cfg.output_dir)
    parts: dict[str, Any] = {"stage": name}
    own = STAGE_OUTPUTS.get(name, ())
    reads = STAGE_READS.get(name) or [t for t in schema.TABLES if f"{t}.parquet" not in own]
    for table in (schema.TABLES[t] for t in reads):
        path = out / table.filename
        parts[table.filename] = store.sha256_file_cached(path) if path.is_file() else ""
    for fname in STAGE_INPUT_FILES:
        path = Path(cfg.input_dir) / fname
        parts[fname] = store.sha256_file(path) if path.is_file() else ""
    themes = cfg.themes.resolved()
    parts["themes"] = {
        k: (store.sha256_file_cached(v) if isinstance(v, Path) and v.is_file() else str(v))
        for k, v in sorted(asdict(themes).items())
    }
    if name == "changes":
        # the comparison also reads the stored snapshots and its own options
        history = out / "history"
        parts["history"] = sorted(
            (f.name, f.stat().st_size) for f in history.glob("*.json") if f.is_file()
        )
        parts["since"] = str(getattr(cfg, "since", "") or "")
        parts["silent_months"] = getattr(cfg, "silent_months", None)
    # code and the data files shipped with it (the codebook, the recommendation model)
    shipped = sorted(_PKG.rglob("*.yaml")) + sorted(_PKG.rglob("*.json"))
    parts["code"] = code_hash(sorted(_PKG.rglob("*.py")) + shipped)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _snapshot(out: Path) -> dict[str, tuple[int, int, int]]:
    """Identity (inode, size, modification time) of every output file (the cache aside)."""
    snap = {}
    for p in out.rglob("*"):
        rel = p.relative_to(out)
        if rel.parts[0] == ".cache" or not p.is_file():
            continue
        st = p.stat()
        snap[rel.as_posix()] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return snap


def _unchanged(out: Path, wrote: dict[str, str]) -> bool:
    """Whether every file a stage wrote is still there with the bytes it wrote."""
    return all(
        (out / rel).is_file() and store.sha256_file_cached(out / rel) == sha
        for rel, sha in wrote.items()
    )


def _tables(cfg: RunConfig) -> Any:
    from pipeline.tables import tables_stage

    return tables_stage(cfg)


def _report(cfg: RunConfig) -> Any:
    from pipeline.report import report_stage

    return report_stage(cfg)


def _changes(cfg: RunConfig) -> Any:
    from pipeline.changes import changes_stage

    return changes_stage(cfg)


# What changed since the last run, then the briefing stages: they read what every other
# stage wrote, so they run last.
STAGES["changes"] = _changes
STAGES["tables"] = _tables
STAGES["report"] = _report
