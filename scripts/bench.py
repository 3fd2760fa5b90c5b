"""Benchmark extraction and every registered stage: pages/s, words/s, peak memory.

Usage::

    python scripts/bench.py                 # generated corpus (>= 1,000 pages) + ../shared/corpus
    python scripts/bench.py --quick         # a few generated pages, one pass: a smoke run
    python scripts/bench.py --corpus DIR    # measure another folder of PDFs as well
    python scripts/bench.py --sample-every 1  # pdfplumber on every page too (slow)

What it measures, on each corpus:

* ``extract_text``: pdfplumber's plain ``page.extract_text()`` (the reference the
  targets are stated against), with 1 and 2 jobs;
* ``extract[pdfium]`` and ``extract[pdfplumber]``: the extract stage (reading,
  layout, structure) with each PDF backend, with 1 and 2 jobs;
* a whole run with the PDFium backend for each number of jobs, as ``sgpipe run
  --jobs N`` makes it (themes and links work per document in N processes, the
  report writes its files in parallel): ``pipeline[pdfium]`` is extraction plus
  the stages the targets count (themes, recommendations, links, tables),
  ``pipeline+report[pdfium]`` the report too, and every stage registered in
  ``pipeline.run.STAGES`` has its own row;
* theme tagging alone, in one process: the rules (a cold run: misspellings are
  looked up as on a first run), and the model's own inference over the same
  passages (the model of ``models/themes.skops``, else one fitted on the spot on
  weak labels); words/s of passage text, with the one-off loading (codebook, word
  lists) timed apart.

pdfplumber reads about ten pages a second, so the two pdfplumber measurements
(``extract_text`` and ``extract[pdfplumber]``) run on a systematic sample: every
4th page of each PDF (``--sample-every``), written once to ``data/bench/sampled/``.
Their pages/s are over the sampled pages; the table says ``1/4`` next to them. The
PDFium extractions read every page, best of ``--repeat`` runs. Each run is timed in
fresh worker processes: wall-clock seconds, and CPU seconds of all the processes
(a steadier figure when the machine is busy). Peak memory is the largest resident
set of any process: during extraction on the ``extract`` rows, over the whole run
on ``pipeline+report``. A 300-page PDF is also extracted alone (reading and
structure) in a fresh process, to check that memory stays flat. Results are
printed as a table and written to ``data/bench/results.json``. Generated PDFs are
cached in ``data/bench/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "data" / "bench"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
GENERATOR_VERSION = "1"

_WORDS = (  # noqa: SIM905 (a sentence of words reads better than a list literal)
    "the child school safeguarding partnership review agency police health social care "
    "family parent practitioner referral assessment plan meeting decision information "
    "sharing risk harm neglect exploitation education support service local authority "
    "designated lead should must was were had been would could across within between after "
    "before during record evidence learning practice response concern professional case "
    "team manager supervision training multi-agency strategy discussion outcome"
).split()


# --- the generated corpus ------------------------------------------------------------


def _sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(_WORDS) for _ in range(n or rng.randint(9, 22))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


def generate_document(path: Path, *, pages: int, seed: int) -> None:
    """Write a review-like PDF of ``pages`` pages: running header and footer, numbered
    paragraphs, bullets, footnotes with raised markers, a ruled table every few pages
    and some two-column pages."""
    from fpdf import FPDF

    rng = random.Random(seed)
    title = f"Local Child Safeguarding Practice Review {seed}"

    class Doc(FPDF):
        def header(self) -> None:
            self.set_font("helvetica", "", 8)
            self.cell(0, 6, title, align="R")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("helvetica", "", 8)
            self.cell(0, 6, f"Page {self.page_no()}", align="C")

    pdf = Doc(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 18, 20)
    section, para = 0, 0
    for page in range(pages):
        pdf.add_page()
        notes: list[str] = []
        if page % 7 == 5:  # a two-column page
            pdf.set_font("helvetica", "", 10)
            y0 = pdf.get_y()
            for col in range(2):
                pdf.set_xy(20 + col * 90, y0)
                for _ in range(4):
                    pdf.set_x(20 + col * 90)
                    pdf.multi_cell(80, 4.6, _paragraph(rng))
                    pdf.ln(2)
            continue
        if page % 5 == 0:
            section += 1
            para = 0
            pdf.set_font("helvetica", "B", 14)
            pdf.multi_cell(0, 8, f"{section}. {' '.join(rng.sample(_WORDS, 4)).title()}")
            pdf.ln(2)
        while pdf.get_y() < 225:
            kind = rng.random()
            pdf.set_font("helvetica", "", 11)
            if kind < 0.15:
                for _ in range(rng.randint(2, 4)):
                    pdf.set_x(28)
                    pdf.multi_cell(0, 5.5, f"\x95  {_sentence(rng)}")  # WinAnsi bullet
                pdf.ln(2)
            elif kind < 0.22 and page % 4 == 2:
                _table(pdf, rng)
            else:
                para += 1
                text = _paragraph(rng)
                if rng.random() < 0.3:
                    notes.append(_sentence(rng, 12))
                    pdf.multi_cell(0, 5.5, f"{section}.{para} {text}", new_x="RIGHT", new_y="TOP")
                    pdf.set_font("helvetica", "", 7)
                    pdf.set_y(pdf.get_y() - 1.5)
                    pdf.cell(3, 3, str(len(notes)))
                    pdf.set_font("helvetica", "", 11)
                    pdf.ln(7)
                else:
                    pdf.multi_cell(0, 5.5, f"{section}.{para} {text}")
                    pdf.ln(2)
        if notes:
            pdf.set_y(262 - 4 * len(notes))
            pdf.set_font("helvetica", "", 8)
            for i, note in enumerate(notes, start=1):
                pdf.multi_cell(0, 4, f"{i} {note}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_title(title)
    pdf.output(str(path))


def _table(pdf, rng: random.Random) -> None:
    pdf.ln(2)
    pdf.set_font("helvetica", "", 9)
    widths = (30, 70, 35, 35)
    head = ("Ref", "Recommendation", "Lead", "Status")
    rows = [head] + [
        (
            f"R{rng.randint(1, 20)}",
            " ".join(rng.sample(_WORDS, 5)),
            rng.choice(["Police", "Health", "School"]),
            rng.choice(["Completed", "In progress", "Planned"]),
        )
        for _ in range(rng.randint(3, 5))
    ]
    for row in rows:
        for w, cell in zip(widths, row, strict=True):
            pdf.cell(w, 6, cell, border=1)
        pdf.ln(6)
    pdf.ln(3)


def generated_corpus(*, pages: int, docs: int) -> Path:
    """The cached generated corpus of ``docs`` documents with ``pages`` pages in all."""
    folder = BENCH_DIR / f"generated-v{GENERATOR_VERSION}-{docs}x{pages // docs}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(docs):
        path = folder / f"review_{i:03d}.pdf"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            generate_document(tmp, pages=pages // docs, seed=i)
            tmp.replace(path)
    return folder


# --- measurements --------------------------------------------------------------------


def _peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or of its largest finished child), in MiB."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _plain_extract_text(path: str) -> tuple[int, int, float, float]:
    import pdfplumber

    cpu = _cpu_seconds()
    pages = words = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            words += len((page.extract_text() or "").split())
            pages += 1
            page.close()
    return pages, words, _peak_rss_mib(), _cpu_seconds() - cpu


def _pdf_pages(path: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def sampled_corpus(name: str, folder: Path, every: int) -> Path:
    """Every ``every``-th page (the 1st, the ``every+1``-th, ...) of each PDF of ``folder``,
    written once to ``data/bench/sampled/`` (rewritten when a source PDF changes)."""
    if every <= 1:
        return folder
    import hashlib

    import pypdfium2 as pdfium

    out = BENCH_DIR / "sampled" / f"{name}-every{every}"
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted(folder.glob("*.pdf")):
        digest = hashlib.sha256(src.read_bytes()).hexdigest()[:12]
        target = out / f"{src.stem}-{digest}.pdf"
        if target.exists():
            continue
        for old in out.glob(f"{src.stem}-*.pdf"):
            old.unlink()
        doc, new = pdfium.PdfDocument(str(src)), pdfium.PdfDocument.new()
        try:
            new.import_pages(doc, list(range(0, len(doc), every)))
            tmp = target.with_suffix(".tmp")
            new.save(str(tmp))
            tmp.replace(target)
        finally:
            new.close()
            doc.close()
    return out


def _pool(jobs: int) -> ProcessPoolExecutor:
    import multiprocessing as mp

    # fresh interpreters: no imported state or memory carried over from the parent
    return ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"))


def measure_reference(files: list[Path], jobs: int) -> dict:
    """pdfplumber's plain ``extract_text()`` over every page of ``files``."""
    start = time.perf_counter()
    with _pool(jobs) as pool:
        results = list(pool.map(_plain_extract_text, [str(f) for f in files]))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu_seconds": sum(r[3] for r in results),
        "pages": sum(r[0] for r in results),
        "words": sum(r[1] for r in results),
        "peak_mib": max((r[2] for r in results), default=0.0),
    }


#: The stages the issue's targets count ("extract, structure, themes, recommendations,
#: links, tables"); the report is timed and shown, but outside that figure.
TARGET_STAGES = ("themes", "recommendations", "links", "tables")


def _run_pipeline(
    input_dir: str, output_dir: str, backend: str, jobs: int, stages: bool = True
) -> dict:
    """Extraction, then (``stages``) each registered stage, timed; runs in a fresh process."""
    import logging

    import pandas as pd

    logging.getLogger("pipeline").setLevel(logging.ERROR)  # files it cannot read are expected

    from pipeline import run
    from pipeline.config import ExtractOptions

    cfg = run.RunConfig(
        input_dir=Path(input_dir),
        output_dir=Path(output_dir),
        jobs=jobs,
        options=ExtractOptions(pdf_backend=backend),
        progress=False,
    )
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    result = run.run_extract(cfg)
    times["extract"] = time.perf_counter() - start
    cpu["extract"] = _cpu_seconds() - cpu_start
    # high-water marks: this process (1 job) or the largest finished worker process
    extract_peak = max(_peak_rss_mib(), _peak_rss_mib(resource.RUSAGE_CHILDREN))
    for name, stage in run.STAGES.items() if stages else ():
        t, c = time.perf_counter(), _cpu_seconds()
        stage(cfg)
        times[name] = time.perf_counter() - t
        cpu[name] = _cpu_seconds() - c
    docs: pd.DataFrame = result.documents
    pdfs = docs[docs["format"] == "pdf"]
    return {
        "times": times,
        "cpu": cpu,
        "pages": int(pdfs["pages"].sum()),
        "words": int(pdfs["words"].sum()),
        "passages": len(result.passages),
        "extract_peak_mib": extract_peak,
        "peak_mib": max(_peak_rss_mib(), _peak_rss_mib(resource.RUSAGE_CHILDREN)),
    }


def measure_pipeline(
    input_dir: Path, backend: str, jobs: int, repeat: int = 1, *, stages: bool = True
) -> dict:
    """Extraction (one backend) and, with ``stages``, every registered stage over
    ``input_dir``: the run with the shortest total wall time of ``repeat``, each in a
    fresh process."""
    best: dict | None = None
    for _ in range(max(repeat, 1)):
        with tempfile.TemporaryDirectory(prefix="sgbench-") as out, _pool(1) as pool:
            res = pool.submit(_run_pipeline, str(input_dir), out, backend, jobs, stages).result()
        if best is None or sum(res["times"].values()) < sum(best["times"].values()):
            best = res
    assert best is not None
    return best


def _extract_alone(path: str, backend: str) -> tuple[float, float, float, int]:
    from pipeline.config import ExtractOptions
    from pipeline.passages import extract_document

    start, cpu = time.perf_counter(), _cpu_seconds()
    row, _passages = extract_document(
        Path(path), Path(path).name, "x", ExtractOptions(pdf_backend=backend)
    )
    return time.perf_counter() - start, _cpu_seconds() - cpu, _peak_rss_mib(), int(row["pages"])


def measure_memory(path: Path, backend: str) -> dict:
    """Extract one (long) PDF alone (reading and structure) in a fresh process:
    seconds and peak memory of that process."""
    with _pool(1) as pool:
        seconds, cpu, peak, pages = pool.submit(_extract_alone, str(path), backend).result()
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak, "pages": pages}


def _tag_themes(input_dir: str, model_path: str) -> dict:
    """Extract ``input_dir``, then time theme tagging by rules and by rules + model."""
    from pipeline import run, schema, store
    from pipeline.config import ThemeOptions
    from pipeline.themes.model import ThemeModel, fit_model
    from pipeline.themes.tagger import Tagger
    from pipeline.themes.training import Corpus, collect_training_data

    with tempfile.TemporaryDirectory(prefix="sgbench-themes-") as out:
        cfg = run.RunConfig(input_dir=Path(input_dir), output_dir=Path(out), progress=False)
        run.run_extract(cfg)
        passages = store.read_table(schema.PASSAGES, out)
        documents = store.read_table(schema.DOCUMENTS, out)
    words = int(passages["text"].str.split().str.len().sum())
    start = time.perf_counter()
    tagger = Tagger.from_options(ThemeOptions(model=None, reviews=None))
    load = time.perf_counter() - start
    start = time.perf_counter()
    rules = tagger.tag(passages)
    rules_s = time.perf_counter() - start
    if Path(model_path).is_file():
        model, source = ThemeModel.load(model_path), model_path
    else:  # a model of the same shape, fitted on weak labels of this corpus
        corpus = Corpus.from_frames(passages, documents, tagger=tagger)
        data = collect_training_data(
            corpus,
            gold_files=[],
            reviews=None,
            known_themes=tagger.codebook.ids,
            weak=True,
            max_weak=3000,
        )
        model, source = fit_model(data, themes=tagger.codebook.ids), "fitted on weak labels"
    tagger.model = model
    start = time.perf_counter()  # the whole stage: rules, rule features, model, evidence
    both = tagger.tag(passages)
    both_s = time.perf_counter() - start
    return {
        "passages": len(passages),
        "words": words,
        "load_seconds": load,
        "rules_seconds": rules_s,
        "rules_model_seconds": both_s,
        "rules_words_per_s": _rate(words, rules_s),
        "rules_model_words_per_s": _rate(words, both_s),
        "model_added": (both_s - rules_s) / rules_s if rules_s else 0.0,
        "tags_rules": len(rules),
        "tags_rules_model": len(both),
        "model": source,
    }


def measure_themes(folder: Path) -> dict:
    """Theme tagging speed on one folder, in a fresh process (one core)."""
    model = ROOT / "models" / "themes.skops"
    with _pool(1) as pool:
        return pool.submit(_tag_themes, str(folder), str(model)).result()


def print_themes(name: str, t: dict) -> None:
    """Print the theme-tagging figures of one corpus."""
    print(f"\ntheme tagging on {name}: {t['passages']} passages, {t['words']} words, one process")
    print(f"  load (codebook, word lists, spaCy)  {t['load_seconds']:6.2f} s")
    print(f"  rules           {t['rules_seconds']:6.2f} s  {t['rules_words_per_s']:9.0f} words/s")
    print(f"  rules + model   {t['rules_model_seconds']:6.2f} s  "
          f"{t['rules_model_words_per_s']:9.0f} words/s  (model adds {t['model_added']:.0%}; "
          f"{t['model']})")  # fmt: skip


def _rate(n: float, seconds: float) -> float:
    return n / seconds if seconds > 0 else 0.0


def bench_corpus(
    name: str,
    folder: Path,
    *,
    jobs_list: list[int],
    backends: list[str],
    sample_every: int = 4,
    repeat: int = 1,
) -> dict:
    """Every measurement on one folder of documents (pdfplumber's on a page sample).

    Extraction is timed for every backend and number of jobs; then a whole PDFium
    run for each number of jobs, timed stage by stage: ``pipeline[pdfium]`` counts
    its extraction and the stages of the targets, ``pipeline+report[pdfium]`` all of
    them, and each stage has a row.
    """
    files = sorted(folder.glob("*.pdf"))
    sampled = sampled_corpus(name, folder, sample_every)
    out: dict = {"corpus": name, "path": str(folder), "files": len(files), "runs": [],
                 "sample_every": sample_every, "sample_path": str(sampled)}  # fmt: skip
    sample = f"1/{sample_every}" if sample_every > 1 else ""
    target = ["extract", *TARGET_STAGES]

    def row(what: str, jobs: int, res: dict, seconds: float, cpu: float, smp: str, peak) -> dict:
        return {"what": what, "jobs": jobs, "sample": smp, "seconds": seconds,
                "cpu_seconds": cpu, "pages": res["pages"], "words": res["words"],
                "peak_mib": peak}  # fmt: skip

    for jobs in jobs_list:
        ref = measure_reference(sorted(sampled.glob("*.pdf")), jobs)
        out["runs"].append({"what": "extract_text", "jobs": jobs, "sample": sample, **ref})
        for backend in backends:
            slow = backend == "pdfplumber"
            res = measure_pipeline(
                sampled if slow else folder, backend, jobs, 1 if slow else repeat, stages=False
            )
            smp = sample if slow else ""
            ext, ext_cpu = res["times"]["extract"], res["cpu"]["extract"]
            out["runs"].append(
                row(f"extract[{backend}]", jobs, res, ext, ext_cpu, smp, res["extract_peak_mib"])
            )
    for jobs in jobs_list:
        whole = measure_pipeline(folder, "pdfium", jobs, stages=True)
        times, cpu = whole["times"], whole["cpu"]
        out["runs"].append(
            row("pipeline[pdfium]", jobs, whole, sum(times[k] for k in target if k in times),
                sum(cpu[k] for k in target if k in cpu), "", None)
        )  # fmt: skip
        out["runs"].append(
            row("pipeline+report[pdfium]", jobs, whole, sum(times.values()),
                sum(cpu.values()), "", whole["peak_mib"])
        )  # fmt: skip
        for stage, seconds in times.items():
            out["runs"].append(row(f"  {stage}", jobs, whole, seconds, cpu[stage], "", None))
    for run in out["runs"]:
        run["pages_per_s"] = _rate(run["pages"], run["seconds"])
        run["words_per_s"] = _rate(run["words"], run["seconds"])
    return out


def summarise(result: dict) -> dict:
    """The targets of the issue, checked on one corpus's runs."""
    runs = {(r["what"], r["jobs"]): r for r in result["runs"]}
    summary: dict = {}
    for jobs in sorted({r["jobs"] for r in result["runs"] if r["what"] == "extract_text"}):
        ref = runs.get(("extract_text", jobs))
        plumber = runs.get(("extract[pdfplumber]", jobs))
        for what in ("extract[pdfium]", "pipeline[pdfium]"):
            run = runs.get((what, jobs))
            if ref and run:
                key = what.split("[")[0]
                summary[f"{key}_speedup_vs_extract_text_{jobs}j"] = _rate(
                    run["pages_per_s"], ref["pages_per_s"]
                )
        if ref and plumber:  # how many times slower per page than plain extract_text
            summary[f"pdfplumber_backend_cost_vs_extract_text_{jobs}j"] = _rate(
                ref["pages_per_s"], plumber["pages_per_s"]
            )
    for what in ("extract[pdfium]", "pipeline[pdfium]"):
        one, two = runs.get((what, 1)), runs.get((what, 2))
        if one and two:
            summary[f"{what.split('[')[0]}_scaling_2j_over_1j"] = _rate(
                two["pages_per_s"], one["pages_per_s"]
            )
    return summary


def print_table(result: dict) -> None:
    """Print one corpus's results as a fixed-width table."""
    print(f"\n{result['corpus']}: {result['files']} PDFs ({result['path']})")
    print(f"{'what':24s} {'jobs':>4s} {'sample':>6s} {'pages':>6s} {'seconds':>8s} "
          f"{'cpu s':>7s} {'pages/s':>8s} {'words/s':>9s} {'peak MiB':>9s}")  # fmt: skip
    for r in result["runs"]:
        peak = f"{r['peak_mib']:9.0f}" if r.get("peak_mib") else f"{'':9s}"
        print(f"{r['what']:24s} {r['jobs']:4d} {r.get('sample', ''):>6s} {r['pages']:6d} "
              f"{r['seconds']:8.2f} {r.get('cpu_seconds', 0.0):7.2f} {r['pages_per_s']:8.1f} "
              f"{r['words_per_s']:9.0f} {peak}")  # fmt: skip
    for k, v in result.get("summary", {}).items():
        print(f"  {k}: {v:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 generated pages, 1 job: smoke run")
    parser.add_argument("--pages", type=int, default=1000, help="pages of the generated corpus")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="another folder of PDFs to measure (repeatable)")  # fmt: skip
    parser.add_argument("--no-shared", action="store_true", help="skip ../shared/corpus")
    parser.add_argument(
        "--sample-every", type=int, default=4, help="pdfplumber on every N-th page (1: all)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="PDFium runs: the best of N")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(), "load_before": os.getloadavg()},
        "corpora": [],
    }  # fmt: skip
    if args.quick:
        with tempfile.TemporaryDirectory(prefix="sgbench-quick-") as tmp:
            generate_document(Path(tmp) / "quick.pdf", pages=2, seed=1)
            res = bench_corpus("quick", Path(tmp), jobs_list=[1], backends=["pdfium"],
                               sample_every=1)  # fmt: skip
            res["summary"] = summarise(res)
            results["corpora"].append(res)
            print_table(res)
            results["themes"] = {"quick": measure_themes(Path(tmp))}
            print_themes("quick", results["themes"]["quick"])
    else:
        docs = max(1, args.pages // 50)
        corpora = [("generated", generated_corpus(pages=args.pages, docs=docs))]
        if SHARED_CORPUS.is_dir() and not args.no_shared:
            corpora.append(("shared", SHARED_CORPUS))
        corpora += [(c.name, c) for c in args.corpus]
        results["themes"] = {}
        for name, folder in corpora:
            res = bench_corpus(name, folder, jobs_list=[1, 2], backends=["pdfium", "pdfplumber"],
                               sample_every=args.sample_every, repeat=args.repeat)  # fmt: skip
            res["summary"] = summarise(res)
            results["corpora"].append(res)
            print_table(res)
            results["themes"][name] = measure_themes(folder)
            print_themes(name, results["themes"][name])
        long_pdf = BENCH_DIR / "long_300_pages.pdf"
        if not long_pdf.exists():
            BENCH_DIR.mkdir(parents=True, exist_ok=True)
            generate_document(long_pdf, pages=300, seed=300)
        results["memory_300_pages"] = {
            backend: measure_memory(long_pdf, backend) for backend in ("pdfium", "pdfplumber")
        }
        for backend, m in results["memory_300_pages"].items():
            print(f"300-page PDF, {backend}: {m['seconds']:.1f} s, peak {m['peak_mib']:.0f} MiB")
    results["machine"]["load_after"] = os.getloadavg()
    results["bench_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    load = results["machine"]
    print(f"\nload average before/after: {load['load_before'][0]:.1f} / "
          f"{load['load_after'][0]:.1f}; bench took {results['bench_seconds']:.0f} s")  # fmt: skip
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
