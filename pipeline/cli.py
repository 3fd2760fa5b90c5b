"""The ``sgpipe`` command line: thin wrappers that parse options, call a stage, report.

Exit codes: 0 success; 1 a fatal error (bad input folder, malformed manifest or
codebook); 2 a usage error; 3 with ``--strict``, when any document could not be read.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from pipeline import schema, store
from pipeline.documents import ManifestError
from pipeline.evaluate.gold import GoldError
from pipeline.extract.extractor import PDF_BACKENDS, ExtractOptions
from pipeline.recommendations import RecommendationsFileError
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
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Read safeguarding documents, tag their themes and trace recommendations.

    Every output row keeps its provenance: document, page, paragraph number and
    the quote. Run the whole pipeline with `sgpipe run`, or one stage at a time.
    """
    _setup_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet}


def _quiet() -> bool:
    """Whether ``sgpipe -q`` was given: then only errors reach stderr, no progress bars."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().obj if ctx else None
    return bool(root and root.get("quiet"))


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
        progress=not _quiet(),
    )


def _report(result: ExtractResult, output_dir: Path, strict: bool) -> None:
    docs = result.documents
    failed = result.failed
    dupes = int((docs["status"] == "duplicate").sum()) if len(docs) else 0
    if not _quiet():
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
    except (ManifestError, RecommendationsFileError) as exc:
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


def _need(output_dir: Path, *tables: schema.Table, hint: str) -> None:
    for table in tables:
        if not (output_dir / table.filename).exists():
            raise click.ClickException(f"{output_dir / table.filename} not found: {hint}")


@main.command()
@input_option
@output_option
def recommendations(input_dir: Path, output_dir: Path) -> None:
    """Find the numbered recommendations of reviews and reports (recommendations.parquet).

    Reads the passages written by `sgpipe extract` and INPUT/recommendations.csv
    (curated recommendations of reviews that are not in the corpus), if present.
    """
    from pipeline.recommendations import recommendations_stage

    _need(output_dir, schema.PASSAGES, hint="run `sgpipe extract` first")
    try:
        recs = recommendations_stage(RunConfig(input_dir=input_dir, output_dir=output_dir))
    except RecommendationsFileError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = recs.groupby("review").size() if len(recs) else {}
    for review, n in dict(counts).items():
        click.echo(f"{review}: {n} recommendation(s)", err=True)
    click.echo(
        f"{len(recs)} recommendations -> {output_dir / schema.RECOMMENDATIONS.filename}", err=True
    )


@main.command()
@input_option
@output_option
def link(input_dir: Path, output_dir: Path) -> None:
    """Link later passages to the recommendations they report on (links.parquet).

    Also writes tables/recommendation_coverage.csv. Needs `sgpipe recommendations`.
    """
    from pipeline.link import COVERAGE_CSV, link_stage

    _need(
        output_dir,
        schema.PASSAGES,
        schema.RECOMMENDATIONS,
        hint="run `sgpipe recommendations` first",
    )
    links = link_stage(RunConfig(input_dir=input_dir, output_dir=output_dir))
    click.echo(
        f"{len(links)} links to {links['rec_id'].nunique()} recommendation(s) -> "
        f"{output_dir / schema.LINKS.filename}, {output_dir / COVERAGE_CSV}",
        err=True,
    )


@main.command()
@click.argument("review")
@click.option("--rec", "number", default=None, help="Only this recommendation number.")
@output_option
@click.option(
    "--width",
    type=click.IntRange(min=40),
    default=200,
    show_default=True,
    help="Characters of each quote to print.",
)
def trace(review: str, number: str | None, output_dir: Path, width: int) -> None:
    """Print each recommendation of REVIEW with every later passage linked to it.

    For each link: document, date, page, paragraph ref, status, score and quote;
    recommendations no later document mentions are listed as silent. REVIEW is
    matched ignoring case ("child l"); a unique part of the name will do.
    """
    from pipeline.link import find_review, trace_review

    _need(output_dir, schema.RECOMMENDATIONS, schema.LINKS, hint="run `sgpipe run` first")
    recs = store.read_table(schema.RECOMMENDATIONS, output_dir)
    try:
        name = find_review(recs, review)
        text = trace_review(
            name,
            recommendations=recs,
            links=store.read_table(schema.LINKS, output_dir),
            passages=store.read_table(schema.PASSAGES, output_dir),
            documents=store.read_table(schema.DOCUMENTS, output_dir),
            number=number,
            width=width,
        )
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    click.echo(text)


@main.group("eval")
def evaluate() -> None:
    """Score stage outputs against gold labels (see ../shared/labels/README.md)."""


gold_option = click.option(
    "--gold",
    "gold_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="Gold CSV file.",
)


@evaluate.command("links")
@gold_option
@output_option
def eval_links(gold_path: Path, output_dir: Path) -> None:
    """Link precision, recall, top-1 and status accuracy against a links gold file.

    Reads the links in OUTPUT; writes OUTPUT/eval/<gold name>_metrics.csv and
    _items.csv (one row per gold passage: gold and predicted numbers and statuses).
    """
    from pipeline.evaluate.links import evaluate_links_folder, write_scores

    _need(output_dir, schema.PASSAGES, schema.LINKS, hint="run `sgpipe run` first")
    try:
        scores = evaluate_links_folder(gold_path, output_dir)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    for row in scores.metrics.itertuples(index=False):
        ci = "" if row.ci_low != row.ci_low else f"  (95% CI {row.ci_low:.3f}-{row.ci_high:.3f})"
        click.echo(f"{row.metric:16s} {row.value:.3f}  n={row.n}{ci}")
    paths = write_scores(scores, output_dir / "eval", stem=gold_path.stem)
    click.echo(f"-> {', '.join(str(p) for p in paths)}", err=True)


@evaluate.command("recommendations")
@gold_option
@output_option
def eval_recommendations(gold_path: Path, output_dir: Path) -> None:
    """Recommendations found once, per report, against a recs gold file.

    Writes OUTPUT/eval/<gold name>_metrics.csv and _items.csv.
    """
    from pipeline.evaluate.recommendations import evaluate_recommendations_folder

    _need(output_dir, schema.RECOMMENDATIONS, hint="run `sgpipe recommendations` first")
    try:
        scores = evaluate_recommendations_folder(gold_path, output_dir)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    for row in scores.metrics.itertuples(index=False):
        click.echo(
            f"{row.doc}: gold {row.gold}, found {row.found}, predicted {row.predicted}, "
            f"recall {row.recall:.3f}, precision {row.precision:.3f}, duplicates {row.duplicates}"
            + (f", extra numbers {row.extra_numbers}" if row.extra_numbers else "")
        )
    folder = output_dir / "eval"
    paths = [
        store.write_csv(scores.metrics, folder / f"{gold_path.stem}_metrics.csv"),
        store.write_csv(scores.items, folder / f"{gold_path.stem}_items.csv"),
    ]
    click.echo(f"-> {', '.join(str(p) for p in paths)}", err=True)


def _say(message: str) -> None:
    """A summary line on stderr, unless ``sgpipe -q``."""
    if not _quiet():
        click.echo(message, err=True)


def _outputs(output_dir: Path) -> RunConfig:
    """A config for the stages that read only the outputs (tables, report, export)."""
    if not (output_dir / "documents.parquet").exists():
        raise click.ClickException(
            f"no pipeline outputs in {output_dir} (documents.parquet not found); "
            "run `sgpipe run` or `sgpipe extract` first"
        )
    return RunConfig(input_dir=output_dir, output_dir=output_dir)


@main.command()
@output_option
def tables(output_dir: Path) -> None:
    """Rebuild the CSV tables in OUTPUT/tables/ from the stage outputs.

    Theme by document, theme by date, theme summary, actions from minutes, the
    evidence behind every count and, once the linking stage is installed,
    recommendation coverage. Documents are not read again.
    """
    from pipeline.tables import TABLES_DIR, tables_stage

    result = tables_stage(_outputs(output_dir))
    for note in result.notes:
        _say(f"note: {note}")
    names = ", ".join(f"{n}.csv" for n in result.csv_tables())
    _say(f"tables -> {output_dir / TABLES_DIR}: {names}")


@main.command()
@output_option
def report(output_dir: Path) -> None:
    """Rebuild the briefings in OUTPUT/report/ from the stage outputs.

    briefing.xlsx, briefing.docx, briefing.md, the self-contained report.html
    and the REFI-QDA project themes.qdpx.
    """
    from pipeline.report import REPORT_DIR, report_stage

    paths = report_stage(_outputs(output_dir))
    _say(f"report -> {output_dir / REPORT_DIR}: {', '.join(p.name for p in paths)}")


@main.group()
def export() -> None:
    """Export the outputs for other tools."""


@export.command("qdpx")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@output_option
@click.option(
    "--name",
    default="Safeguarding documents",
    show_default=True,
    help="Project name shown in the QDA tool.",
)
def export_qdpx(file: Path, output_dir: Path, name: str) -> None:
    """Write a REFI-QDA project (FILE.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    The codebook becomes codes, each document a plain-text source, and each theme
    tag a coded selection over its evidence words; recommendation links are coded
    too. OUTPUT is the folder of pipeline outputs to read.
    """
    from pipeline.report.qdpx import build_qdpx
    from pipeline.store import write_bytes
    from pipeline.tables import build_tables

    if file.suffix.lower() != ".qdpx":
        raise click.BadParameter("the file name must end in .qdpx", param_hint="FILE")
    _outputs(output_dir)
    tables = build_tables(output_dir)
    write_bytes(build_qdpx(tables, name=name), file)
    _say(f"REFI-QDA project -> {file}")


if __name__ == "__main__":  # pragma: no cover
    main()
