"""The ``sgpipe`` command line: thin wrappers that parse options, call a stage, report.

Exit codes: 0 success; 1 a fatal error (bad input folder, malformed manifest or
codebook); 2 a usage error; 3 with ``--strict``, when any document could not be read.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from pipeline.documents import ManifestError
from pipeline.extract.extractor import PDF_BACKENDS, ExtractOptions
from pipeline.run import ExtractResult, RunConfig, run_all, run_extract

EXIT_STRICT = 3

log = logging.getLogger("pipeline")


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sgpipe: %(message)s"))
    root = logging.getLogger("pipeline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


input_option = click.option(
    "--input",
    "input_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/raw"),
    show_default=True,
    help="Folder of documents to read (never written).",
)
output_option = click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/processed"),
    show_default=True,
    help="Folder for the outputs.",
)
jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for per-document work [default: all cores].",
)
strict_option = click.option(
    "--strict",
    is_flag=True,
    help=f"Exit with code {EXIT_STRICT} when any document could not be read.",
)
pdf_backend_option = click.option(
    "--pdf-backend",
    type=click.Choice(list(PDF_BACKENDS)),
    default=PDF_BACKENDS[0],
    show_default=True,
    help="Library that reads PDF pages: pdfium (fast) or pdfplumber (pure Python).",
)
ocr_option = click.option(
    "--ocr",
    is_flag=True,
    help="Read PDF pages without a text layer (scans) with tesseract "
    "(Debian: apt-get install tesseract-ocr).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More messages on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(package_name="safeguarding-pipeline")
def main(verbose: int, quiet: bool) -> None:
    """Read safeguarding documents, tag their themes and trace recommendations.

    Every output row keeps its provenance: document, page, paragraph number and
    the quote. Run the whole pipeline with `sgpipe run`, or one stage at a time.
    """
    _setup_logging(verbose, quiet)


def _config(
    input_dir: Path, output_dir: Path, jobs: int | None, pdf_backend: str, ocr: bool
) -> RunConfig:
    if not input_dir.is_dir():
        raise click.ClickException(f"input folder not found: {input_dir}")
    return RunConfig(
        input_dir=input_dir,
        output_dir=output_dir,
        jobs=jobs,
        options=ExtractOptions(pdf_backend=pdf_backend, ocr=ocr),
    )


def _report(result: ExtractResult, output_dir: Path, strict: bool) -> None:
    docs = result.documents
    failed = result.failed
    dupes = int((docs["status"] == "duplicate").sum()) if len(docs) else 0
    click.echo(
        f"{len(docs)} documents ({result.extracted} read, {result.cached} unchanged"
        f"{f', {dupes} duplicate' if dupes else ''}, {len(failed)} could not be read); "
        f"{len(result.passages)} passages -> {output_dir}",
        err=True,
    )
    if strict and len(failed):
        raise SystemExit(EXIT_STRICT)


@main.command()
@input_option
@output_option
@jobs_option
@pdf_backend_option
@ocr_option
@strict_option
def run(
    input_dir: Path,
    output_dir: Path,
    jobs: int | None,
    pdf_backend: str,
    ocr: bool,
    strict: bool,
) -> None:
    """Run every stage on INPUT and write all outputs to OUTPUT."""
    cfg = _config(input_dir, output_dir, jobs, pdf_backend, ocr)
    try:
        result = run_all(cfg)
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result, output_dir, strict)


@main.command()
@input_option
@output_option
@jobs_option
@pdf_backend_option
@ocr_option
@strict_option
def extract(
    input_dir: Path,
    output_dir: Path,
    jobs: int | None,
    pdf_backend: str,
    ocr: bool,
    strict: bool,
) -> None:
    """Read documents into documents.parquet and passages.parquet.

    PDF, plain text, DOCX and HTML files are read; a file that cannot be read is
    reported on stderr and recorded in documents.parquet (status, error), and the
    run goes on. Unchanged documents are taken from the cache.
    """
    cfg = _config(input_dir, output_dir, jobs, pdf_backend, ocr)
    try:
        result = run_extract(cfg)
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result, output_dir, strict)


if __name__ == "__main__":  # pragma: no cover
    main()
