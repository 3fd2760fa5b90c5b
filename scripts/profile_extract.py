"""Time (and optionally profile) extraction + structure of PDFs in one process.

Usage::

    python scripts/profile_extract.py [DIR_OR_PDF ...] [--backend pdfium] [--repeat 3]
    python scripts/profile_extract.py --cprofile 25      # cProfile, top 25 by own time
    python scripts/profile_extract.py --pyinstrument     # pyinstrument call tree

Without arguments it reads ``../shared/corpus``. Each file is read with
:func:`pipeline.passages.extract_document` (reading, layout, structure,
titles, dates) in this process; the figure is CPU time (``time.process_time``),
which a busy machine disturbs far less than wall time. With ``--repeat N`` the
best of N passes is reported per file. Heavy imports and one-off loads (the
English word list) happen before timing starts, as they would in a long run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*.pdf")) if p.is_dir() else [p])
    return out


def _warm_up(backend: str) -> None:
    from pipeline.config import ExtractOptions
    from pipeline.passages import reader_for
    from pipeline.structure import english_words

    english_words()
    reader_for("pdf", ExtractOptions(pdf_backend=backend))
    if backend == "pdfium":
        import pdfplumber.table  # noqa: F401  (imported lazily on the first ruled page)


def time_files(files: list[Path], backend: str, repeat: int) -> list[tuple[str, int, int, float]]:
    """(name, pages, words, best CPU seconds) of each file."""
    from pipeline.config import ExtractOptions
    from pipeline.passages import extract_document

    options = ExtractOptions(pdf_backend=backend)
    out = []
    for f in files:
        best = float("inf")
        row: dict = {}
        for _ in range(repeat):
            t = time.process_time()
            row, _passages = extract_document(f, f.name, "x", options)
            best = min(best, time.process_time() - t)
        out.append((f.name, int(row["pages"]), int(row["words"]), best))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[SHARED_CORPUS])
    parser.add_argument("--backend", default="pdfium", choices=["pdfium", "pdfplumber"])
    parser.add_argument("--repeat", type=int, default=1, help="best of N passes per file")
    parser.add_argument("--cprofile", type=int, metavar="N", help="cProfile: top N by own time")
    parser.add_argument("--pyinstrument", action="store_true", help="pyinstrument call tree")
    args = parser.parse_args(argv)
    files = _files(args.paths)
    _warm_up(args.backend)
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        results = time_files(files, args.backend, 1)
        prof.disable()
        stats = pstats.Stats(prof).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.cprofile)
        stats.sort_stats("cumulative").print_stats(args.cprofile)
    elif args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        results = time_files(files, args.backend, 1)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        results = time_files(files, args.backend, args.repeat)
    pages = sum(r[1] for r in results)
    words = sum(r[2] for r in results)
    seconds = sum(r[3] for r in results)
    for name, p, _words, s in results:
        print(f"{name:60s} {p:5d} pages {s:7.3f} s CPU {p / s if s else 0:8.1f} pages/s")
    print(
        f"{'total':60s} {pages:5d} pages {seconds:7.3f} s CPU "
        f"{pages / seconds if seconds else 0:8.1f} pages/s {words / seconds if seconds else 0:9.0f}"
        f" words/s ({args.backend}, one process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
