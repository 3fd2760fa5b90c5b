"""Benchmark the stages after extraction, and the incremental re-run.

Usage::

    python scripts/bench_stages.py             # ../shared/corpus (1 and 2 jobs) + incremental
    python scripts/bench_stages.py --quick     # the demo corpus, 1 job, a small incremental corpus
    python scripts/bench_stages.py --corpus DIR --jobs 1 --jobs 2

What it measures (``scripts/bench.py`` measures extraction against pdfplumber):

* **whole run by stage**, on a corpus, with each ``--jobs``: ``sgpipe run`` in a
  fresh output folder (extraction and every stage of ``pipeline.run.STAGES``:
  themes, recommendations, links, tables, report), then the same run again with
  nothing changed (every stage skipped: that measures the checks). Wall-clock
  seconds and CPU seconds of all processes (this one and its finished workers: a
  steadier figure on a busy machine) per stage. Then ``sgpipe run`` as a command,
  twice with nothing changed; the second is timed whole (process start and imports
  included): it answers from the run record (``pipeline.runrecord``).
* **incremental re-run**: a 30-document corpus (``../shared/corpus``, the demo
  corpus and generated review PDFs from ``scripts/bench.py``'s generator) is run
  once; then one generated document is added and the run repeated, timed by stage.
  The new document's own cost is measured apart: its extraction alone and its
  theme tagging alone (tagger already loaded), so that the re-run's overhead, what
  the 29 unchanged documents and the cross-document stages cost, can be read off.

Each run is made in a fresh process (imports included, as on the command line).
The theme model's fast-loading copy (``models/.cache/``) is made before timing, as
any earlier run would have. Results are printed and written to
``data/bench/stages.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "data" / "bench"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
DEMO = ROOT / "data" / "raw"
#: Documents of the incremental corpus before one is added.
INCREMENTAL_DOCS = 30


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mib() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(me, kids) / 1024


def _run_by_stage(input_dir: str, output_dir: str, jobs: int) -> dict:
    """``sgpipe run`` (extraction, then each registered stage), timed; in a fresh process."""
    import logging

    logging.getLogger("pipeline").setLevel(logging.ERROR)  # unreadable files are expected
    start = time.perf_counter()
    from pipeline import run

    imports = time.perf_counter() - start
    cfg = run.RunConfig(
        input_dir=Path(input_dir), output_dir=Path(output_dir), jobs=jobs, progress=False
    )
    wall: dict[str, float] = {"imports": imports}
    cpu: dict[str, float] = {}
    t, c = time.perf_counter(), _cpu_seconds()
    result = run.run_extract(cfg)
    wall["extract"], cpu["extract"] = time.perf_counter() - t, _cpu_seconds() - c
    for name, stage in run.STAGES.items():
        t, c = time.perf_counter(), _cpu_seconds()
        run.run_stage(cfg, name, stage)  # as `sgpipe run` does: skipped when unchanged
        wall[name], cpu[name] = time.perf_counter() - t, _cpu_seconds() - c
    docs = result.documents
    return {
        "wall": wall,
        "cpu": cpu,
        "documents": int((docs["status"] == "ok").sum()),
        "extracted": result.extracted,
        "pages": int(docs["pages"].sum()),
        "words": int(docs["words"].sum()),
        "passages": len(result.passages),
        "peak_mib": _peak_mib(),
    }


def _document_alone(path: str, folder: str) -> dict:
    """One document's own cost: extraction alone, and its tagging with the tagger loaded."""
    from pipeline import run, schema, store
    from pipeline.config import ThemeOptions
    from pipeline.themes.stage import model_cache_dir
    from pipeline.themes.tagger import Tagger

    src = Path(folder) / "in"
    src.mkdir(parents=True)
    shutil.copy(path, src / Path(path).name)
    cfg = run.RunConfig(input_dir=src, output_dir=Path(folder) / "out", jobs=1, progress=False)
    t, c = time.perf_counter(), _cpu_seconds()
    run.run_extract(cfg)
    extract = (time.perf_counter() - t, _cpu_seconds() - c)
    passages = store.read_table(schema.PASSAGES, cfg.output_dir)
    options = ThemeOptions().resolved()
    tagger = Tagger.from_options(options, model_cache=model_cache_dir(options))
    t, c = time.perf_counter(), _cpu_seconds()
    tagger.tag_texts(passages["text"].astype(str).tolist())
    tag = (time.perf_counter() - t, _cpu_seconds() - c)
    return {"extract": extract, "themes": tag, "passages": len(passages)}


def _prepare_model() -> None:
    """Load the default model once, so that its fast-loading copy exists (as after any run)."""
    from pipeline.config import ThemeOptions
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.stage import model_cache_dir

    options = ThemeOptions().resolved()
    if options.model:
        ThemeModel.load(options.model, cache_dir=model_cache_dir(options))


def _fresh(fn, *args):
    """Run ``fn(*args)`` in a fresh (spawned) process and return its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _generator():
    spec = importlib.util.spec_from_file_location("sg_bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["sg_bench"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def incremental_corpus(
    folder: Path, *, docs: int, pages: int, shared: bool = True
) -> tuple[Path, Path]:
    """``folder/in``: the demo corpus (with its manifest), ``../shared/corpus`` under
    ``shared/`` when present, and generated reviews up to ``docs`` documents; and the
    extra document to add (a generated review of ``pages`` pages)."""
    bench = _generator()
    src = folder / "in"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    have = 0
    for f in sorted(DEMO.iterdir()):
        shutil.copy(f, src / f.name)
        have += f.name not in ("manifest.csv", "recommendations.csv")
    if shared and SHARED_CORPUS.is_dir():
        # the demo corpus holds a copy of one shared document: not copied twice
        skip = {f.name for f in DEMO.iterdir()} | {"*.md"}
        shutil.copytree(SHARED_CORPUS, src / "shared", ignore=shutil.ignore_patterns(*skip))
        have += sum(1 for _ in (src / "shared").iterdir())
    gen = BENCH_DIR / f"incremental-{pages}p"
    gen.mkdir(parents=True, exist_ok=True)
    for i in range(max(docs - have, 0) + 1):
        path = gen / f"generated_review_{i:02d}.pdf"
        if not path.exists():
            bench.generate_document(path, pages=pages, seed=1000 + i)
    extra = gen / f"generated_review_{max(docs - have, 0):02d}.pdf"
    for i in range(max(docs - have, 0)):
        shutil.copy(gen / f"generated_review_{i:02d}.pdf", src)
    return src, extra


def _cli_rerun_wall(corpus: Path, output_dir: str, jobs: int) -> float:
    """Wall seconds of ``sgpipe run`` as a command (a new process, imports included) when
    nothing has changed: the first call records the complete run, the second is timed."""
    sgpipe = Path(sys.executable).with_name("sgpipe")
    cmd = [str(sgpipe), "-q", "run", "--input", str(corpus), "--output", output_dir]
    cmd += ["--jobs", str(jobs)]
    subprocess.run(cmd, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def bench_corpus(corpus: Path, jobs_list: list[int]) -> dict:
    """Whole run by stage in a fresh output folder, then unchanged, with each jobs value;
    then ``sgpipe run`` with nothing changed, as a command."""
    out = {}
    for jobs in jobs_list:
        with tempfile.TemporaryDirectory(prefix="sgbench-stages-") as tmp:
            first = _fresh(_run_by_stage, str(corpus), tmp, jobs)
            again = _fresh(_run_by_stage, str(corpus), tmp, jobs)
            cli = _cli_rerun_wall(corpus, tmp, jobs)
        out[f"jobs={jobs}"] = {"fresh": first, "unchanged": again, "cli_unchanged_wall": cli}
    return out


def bench_incremental(docs: int, pages: int, jobs: int, *, shared: bool = True) -> dict:
    """Run a ``docs``-document corpus, add one document, run again: timed by stage."""
    folder = BENCH_DIR / "incremental"
    src, extra = incremental_corpus(folder, docs=docs, pages=pages, shared=shared)
    with tempfile.TemporaryDirectory(prefix="sgbench-incr-") as tmp:
        first = _fresh(_run_by_stage, str(src), tmp, jobs)
        shutil.copy(extra, src / "added_document.pdf")
        second = _fresh(_run_by_stage, str(src), tmp, jobs)
    with tempfile.TemporaryDirectory(prefix="sgbench-alone-") as tmp:
        alone = _fresh(_document_alone, str(extra), tmp)
    own = alone["extract"][0] + alone["themes"][0]
    total = sum(v for k, v in second["wall"].items() if k != "imports")
    return {
        "jobs": jobs,
        "first": first,
        "after_adding_one": second,
        "new_document_alone": alone,
        "rerun_wall": total,
        "rerun_overhead_wall": total - own,
        "rerun_overhead_wall_without_report": total - own - second["wall"].get("report", 0.0),
    }


def _fmt_run(name: str, r: dict) -> list[str]:
    stages = [k for k in r["wall"] if k != "imports"]
    lines = [
        f"  {name}: {r['documents']} documents, {r['pages']} pages, {r['words']:,} words, "
        f"{r['passages']:,} passages, {r['extracted']} extracted; imports "
        f"{r['wall']['imports']:.2f} s; peak {r['peak_mib']:.0f} MiB"
    ]
    lines.append("    " + "".join(f"{s:>16}" for s in [*stages, "total", "w/o report"]))
    for what in ("wall", "cpu"):
        vals = [r[what][s] for s in stages]
        no_report = sum(r[what][s] for s in stages if s != "report")
        cells = "".join(f"{v:16.2f}" for v in [*vals, sum(vals), no_report])
        lines.append(f"{what:>8}" + cells[4:])
    pages_s = r["pages"] / max(sum(r["wall"][s] for s in stages if s != "report"), 1e-9)
    lines.append(f"    pages/s (wall, without report): {pages_s:.0f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="demo corpus, 1 job: a smoke run")
    parser.add_argument("--corpus", type=Path, default=None, help="[default: ../shared/corpus]")
    parser.add_argument("--jobs", type=int, action="append", default=[])
    parser.add_argument("--docs", type=int, default=INCREMENTAL_DOCS)
    parser.add_argument("--pages", type=int, default=8, help="pages of each generated document")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "stages.json")
    args = parser.parse_args(argv)
    corpus = args.corpus or (DEMO if args.quick or not SHARED_CORPUS.is_dir() else SHARED_CORPUS)
    jobs_list = args.jobs or ([1] if args.quick else [1, 2])
    docs, pages = (6, 2) if args.quick else (args.docs, args.pages)
    os.chdir(ROOT)  # the default model and review files are found from the project root
    _fresh(_prepare_model)
    result = {
        "corpus": str(corpus),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "runs": bench_corpus(corpus, jobs_list),
        "incremental": bench_incremental(docs, pages, max(jobs_list), shared=not args.quick),
    }
    print(f"stages on {corpus} (seconds; cpu = all processes)")
    for key, runs in result["runs"].items():
        for name in ("fresh", "unchanged"):
            print("\n".join(_fmt_run(f"{key} {name}", runs[name])))
        print(f"  {key} `sgpipe run` again, nothing changed: {runs['cli_unchanged_wall']:.2f} s")
    inc = result["incremental"]
    print(f"incremental re-run (jobs={inc['jobs']}):")
    print("\n".join(_fmt_run("first run", inc["first"])))
    print("\n".join(_fmt_run("after adding one document", inc["after_adding_one"])))
    alone = inc["new_document_alone"]
    print(
        f"  the new document alone ({alone['passages']} passages): extraction "
        f"{alone['extract'][0]:.2f} s, tagging {alone['themes'][0]:.2f} s"
    )
    print(
        f"  re-run {inc['rerun_wall']:.2f} s = the new document's own "
        f"{inc['rerun_wall'] - inc['rerun_overhead_wall']:.2f} s + "
        f"{inc['rerun_overhead_wall']:.2f} s ({inc['rerun_overhead_wall_without_report']:.2f} s "
        "without the report)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
