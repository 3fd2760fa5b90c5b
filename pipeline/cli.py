"""The ``sgpipe`` command line: thin wrappers that parse options, call a stage, report.

Exit codes: 0 success; 1 a fatal error (bad input folder, malformed manifest or
codebook, or another run holding the output folder's lock); 2 a usage error; 3 with
``--strict``, when any document could not be read.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pipeline import schema, store
from pipeline.config import (
    DEFAULT_MODEL_THRESHOLD,
    DEFAULT_REVIEWS_PATH,
    PDF_BACKENDS,
    ExtractOptions,
    RunConfig,
    ThemeOptions,
)
from pipeline.documents import ManifestError
from pipeline.gold import GoldError
from pipeline.lock import OutputLocked, output_lock
from pipeline.rag import RagMappingError
from pipeline.run import ExtractResult, run_all, run_extract
from pipeline.tracing.curated import RecommendationsFileError

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


def labels_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--labels PATH`` (repeatable): theme label files or folders, as ``label_paths``."""
    return click.option(
        "--labels",
        "label_paths",
        type=click.Path(exists=True, path_type=Path),
        multiple=True,
        help=help_text,
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


class _Group(click.Group):
    """A command group that reports a locked output folder as an error (exit code 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutputLocked as exc:
            raise click.ClickException(str(exc)) from exc


def locks_output(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a stage command while holding its ``output_dir``'s lock (:mod:`pipeline.lock`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with output_lock(kwargs["output_dir"]):
            return func(*args, **kwargs)

    return wrapper


since_option = click.option(
    "--since",
    default="",
    metavar="PATH|DATE",
    help="Compare with this snapshot (a file under OUTPUT/history/) or the last one made on "
    "or before this yyyy-mm-dd date [default: the previous run].",
)
silent_option = click.option(
    "--silent-months",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Report a recommendation as silent after this many months without a mention.",
)

wait_option = click.option(
    "--wait",
    is_flag=True,
    help="When another run is writing to OUTPUT, wait for it to finish (default: stop at "
    "once with exit code 1).",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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


codebook_option = click.option(
    "--codebook",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Theme codebook (YAML) [default: the one shipped in the package].",
)
model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Theme model from `sgpipe train` [default: models/themes.skops when it exists].",
)
no_model_option = click.option(
    "--no-model", is_flag=True, help="Tag with the rules alone, even when a model exists."
)
reviews_option = click.option(
    "--reviews",
    "reviews_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_REVIEWS_PATH,
    show_default=True,
    help="Analysts' decisions from `sgpipe review import` (used when the file exists).",
)
threshold_option = click.option(
    "--model-threshold",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_MODEL_THRESHOLD,
    show_default=True,
    help="Probability a model-only theme tag needs when the model has no threshold of "
    "its own for the theme (a trained model carries per-theme thresholds).",
)


def _theme_options(
    codebook: Path | None,
    model_path: Path | None,
    no_model: bool,
    reviews_path: Path | None,
    model_threshold: float = DEFAULT_MODEL_THRESHOLD,
    include_negated: bool = True,
) -> ThemeOptions:
    """Resolve the theme options of a command: an explicit model must exist."""
    from pipeline.config import DEFAULT_MODEL_PATH

    if codebook is not None and not codebook.is_file():
        raise click.ClickException(f"codebook not found: {codebook}")
    if no_model:
        model = None
    elif model_path is not None:
        if not model_path.is_file():
            raise click.ClickException(f"model not found: {model_path}")
        model = model_path
    else:
        model = DEFAULT_MODEL_PATH if DEFAULT_MODEL_PATH.is_file() else None
    if model is None:
        log.info("themes: rules only (no model)")
    reviews = reviews_path if reviews_path is not None and reviews_path.is_file() else None
    return ThemeOptions(
        codebook=codebook,
        model=model,
        reviews=reviews,
        model_threshold=model_threshold,
        include_negated=include_negated,
    )


def _theme_errors() -> tuple[type[Exception], ...]:
    from pipeline.themes.codebook import CodebookError
    from pipeline.themes.labels import LabelError
    from pipeline.themes.model import ModelError

    return (CodebookError, LabelError, ModelError, FileNotFoundError)


def _config(
    input_dir: Path,
    output_dir: Path,
    jobs: int | None,
    pdf_backend: str,
    ocr: bool,
    themes: ThemeOptions | None = None,
) -> RunConfig:
    if not input_dir.is_dir():
        raise click.ClickException(f"input folder not found: {input_dir}")
    return RunConfig(
        input_dir=input_dir,
        output_dir=output_dir,
        jobs=jobs,
        options=ExtractOptions(pdf_backend=pdf_backend, ocr=ocr),
        progress=not _quiet(),
        themes=themes or ThemeOptions(),
    )


def _report(result: ExtractResult, output_dir: Path, strict: bool) -> None:
    docs = result.documents
    failed = result.failed
    dupes = int((docs["status"] == "duplicate").sum()) if len(docs) else 0
    if not _quiet():
        click.echo(
            f"{len(docs)} documents ({result.extracted} processed, {result.cached} unchanged"
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
@codebook_option
@model_option
@no_model_option
@reviews_option
@wait_option
@since_option
@silent_option
def run(
    input_dir: Path,
    output_dir: Path,
    jobs: int | None,
    pdf_backend: str,
    ocr: bool,
    strict: bool,
    codebook: Path | None,
    model_path: Path | None,
    no_model: bool,
    reviews_path: Path,
    wait: bool,
    since: str,
    silent_months: int,
) -> None:
    """Run every stage on INPUT and write all outputs to OUTPUT.

    Each run keeps a snapshot under OUTPUT/history/ and lists what changed since the
    previous run (or --since) in tables/changes.csv and at the top of the briefings.

    One run at a time per OUTPUT: a second run on the same folder stops at once
    (exit code 1, naming the other run's process id), or waits with --wait.
    """
    themes = _theme_options(codebook, model_path, no_model, reviews_path)
    cfg = _config(input_dir, output_dir, jobs, pdf_backend, ocr, themes)
    cfg.wait, cfg.since, cfg.silent_months = wait, since, silent_months
    from pipeline.changes import SnapshotError

    if since:  # a bad --since stops the run before it writes anything
        try:
            from pipeline.changes import pick_base

            pick_base(output_dir, since)
        except SnapshotError as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        result = run_all(cfg)
    except (ManifestError, RecommendationsFileError, RagMappingError, *_theme_errors()) as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result, output_dir, strict)


@main.command()
@input_option
@output_option
@jobs_option
@pdf_backend_option
@ocr_option
@strict_option
@wait_option
def extract(
    input_dir: Path,
    output_dir: Path,
    jobs: int | None,
    pdf_backend: str,
    ocr: bool,
    strict: bool,
    wait: bool,
) -> None:
    """Read documents into documents.parquet and passages.parquet.

    PDF, plain text, DOCX and HTML files are read; a file that cannot be read is
    reported on stderr and recorded in documents.parquet (status, error), and the
    run goes on. Unchanged documents are taken from the cache.
    """
    cfg = _config(input_dir, output_dir, jobs, pdf_backend, ocr)
    cfg.wait = wait
    try:
        result = run_extract(cfg)
    except (ManifestError, RagMappingError) as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result, output_dir, strict)


@main.command()
@output_option
@codebook_option
@model_option
@no_model_option
@reviews_option
@threshold_option
@click.option(
    "--drop-negated",
    is_flag=True,
    help="Leave out themes whose every mention is negated (kept and marked by default).",
)
@jobs_option
@locks_output
def tag(
    output_dir: Path,
    codebook: Path | None,
    model_path: Path | None,
    no_model: bool,
    reviews_path: Path,
    model_threshold: float,
    drop_negated: bool,
    jobs: int | None,
) -> None:
    """Tag the themes of every passage: passages.parquet -> themes.parquet.

    Rules from the codebook tag every passage; a model from `sgpipe train`, when
    there is one, adds the themes it is confident about; analysts' review
    decisions override both.
    """
    from pipeline.counting import counted
    from pipeline.themes.tagger import tag_stage

    options = _theme_options(
        codebook, model_path, no_model, reviews_path, model_threshold, not drop_negated
    )
    if not (output_dir / "passages.parquet").is_file():
        raise click.ClickException(
            f"{output_dir}: no passages.parquet (run `sgpipe extract` or `sgpipe run` first)"
        )
    cfg = RunConfig(input_dir=Path("."), output_dir=output_dir, jobs=jobs, themes=options)
    try:
        themes = tag_stage(cfg)
    except _theme_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    n = len(counted(themes))
    click.echo(
        f"{n} theme tags ({len(themes) - n} negated) on {themes['passage_id'].nunique()} "
        f"passages ({'rules + model' if options.model else 'rules only'}) "
        f"-> {output_dir / 'themes.parquet'}",
        err=True,
    )


@main.command()
@output_option
@codebook_option
@labels_option(
    "Gold-format label CSV, or folder of themes_*.csv (repeatable) [default: data/labels]."
)
@reviews_option
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("models/themes.skops"),
    show_default=True,
    help="Where to save the model (its metadata goes beside it as .json).",
)
@click.option(
    "--weak/--no-weak",
    default=False,
    show_default=True,
    help="Add weak labels (leave-one-document-out did not show that they help).",
)
@click.option(
    "--weak-weight",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.3,
    show_default=True,
    help="Sample weight of a weak label (labels people made weigh 1).",
)
@click.option(
    "--max-weak",
    type=click.IntRange(min=0),
    default=None,
    help="Use at most this many weakly labelled passages (a seeded sample).",
)
@click.option(
    "--cv/--no-cv",
    default=True,
    show_default=True,
    help="Cross-validate by document first and store the scores in the metadata.",
)
@threshold_option
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
def train(
    output_dir: Path,
    codebook: Path | None,
    label_paths: tuple[Path, ...],
    reviews_path: Path,
    model_path: Path,
    weak: bool,
    weak_weight: float,
    max_weak: int | None,
    cv: bool,
    model_threshold: float,
    seed: int,
) -> None:
    """Fit the theme model from labelled passages and save it with its metadata.

    Training passages: the gold-format label files (--labels), the analysts'
    review decisions (--reviews), and weak labels (the rule tags of every other
    passage of OUTPUT, weighted --weak-weight). Passages are those of OUTPUT
    (run `sgpipe run` first); label rows whose quote is not found there are skipped.
    """
    from pipeline.themes.labels import gold_files
    from pipeline.themes.training import train as train_model

    if not label_paths and Path("data/labels").is_dir():
        label_paths = (Path("data/labels"),)
    options = _theme_options(codebook, None, True, None, model_threshold)
    try:
        files = gold_files(label_paths)
        result = train_model(
            output_dir,
            gold_files=files,
            reviews_path=reviews_path if reviews_path.is_file() else None,
            options=options,
            model_path=model_path,
            weak=weak,
            weak_weight=weak_weight,
            max_weak=max_weak,
            cv=cv,
            seed=seed,
        )
    except (*_theme_errors(), ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    meta = result.model.metadata
    sources = ", ".join(f"{k} {v}" for k, v in meta["training_passages"].items())
    click.echo(f"trained on {len(result.data)} passages ({sources})", err=True)
    click.echo(f"themes modelled: {', '.join(result.model.classes) or 'none'}", err=True)
    cvm = meta.get("cross_validation")
    if cvm:
        for system in ("rules", "model", "combined"):
            r = cvm[system]
            click.echo(
                f"cross-validated {system:9s} P {r['precision']:.3f}  R {r['recall']:.3f}  "
                f"F1 {r['f1']:.3f}  ({cvm['passages']} labelled passages, folds by document)",
                err=True,
            )
    click.echo(f"model -> {result.path} (metadata: {result.path}.json)", err=True)


def _need(output_dir: Path, *tables: schema.Table, hint: str) -> None:
    for table in tables:
        if not (output_dir / table.filename).exists():
            raise click.ClickException(f"{output_dir / table.filename} not found: {hint}")


@main.command()
@input_option
@output_option
@locks_output
def recommendations(input_dir: Path, output_dir: Path) -> None:
    """Find the numbered recommendations of reviews and reports (recommendations.parquet).

    Reads the passages written by `sgpipe extract` and INPUT/recommendations.csv
    (curated recommendations of reviews that are not in the corpus), if present.
    """
    from pipeline.tracing.recommendations import recommendations_stage

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
@jobs_option
@locks_output
def link(input_dir: Path, output_dir: Path, jobs: int | None) -> None:
    """Link later passages to the recommendations they report on (links.parquet).

    Also writes tables/recommendation_coverage.csv. Needs `sgpipe recommendations`.
    """
    from pipeline.tracing.link import COVERAGE_CSV, link_stage

    _need(
        output_dir,
        schema.PASSAGES,
        schema.RECOMMENDATIONS,
        hint="run `sgpipe recommendations` first",
    )
    links = link_stage(RunConfig(input_dir=input_dir, output_dir=output_dir, jobs=jobs))
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
    from pipeline.tracing.coverage import find_review, trace_review

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


@evaluate.command("replies")
@click.option(
    "--labels",
    "labels_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    required=True,
    help="Gold folder with status_keys/*.csv (and recs_*.csv, links_*.csv).",
)
@output_option
def eval_replies(labels_dir: Path, output_dir: Path) -> None:
    """Replies and stances per response against the status keys (LABELS/status_keys/).

    Prints per pair: recommendations keyed, linked from the response, link precision,
    stance accuracy of the shipped model, of the rule reading, and leave-one-response-
    out. Writes OUTPUT/eval/replies_metrics.csv and replies_items.csv.
    """
    from pipeline.evaluate.replies import Run, evaluate_replies
    from pipeline.tracing.stance import MODEL_PATH, StanceModel

    _need(output_dir, schema.PASSAGES, schema.LINKS, hint="run `sgpipe run` first")
    try:
        figures, items = evaluate_replies(
            labels_dir, Run.read(output_dir), model=StanceModel.load()
        )
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    if figures.empty:
        raise click.ClickException(f"no status key in {labels_dir} matches a response")
    if MODEL_PATH.exists():
        card = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["card"]
        click.echo(f"stance model: C={card['C']}, trained on {', '.join(card['training_files'])}")
    for r in figures.itertuples(index=False):
        prec = "n/a" if r.link_precision != r.link_precision else f"{r.link_precision:.3f}"
        click.echo(
            f"{r.pair}: {r.linked}/{r.recommendations} linked from the response "
            f"({r.linked_share:.0%}), link precision {prec} (n={r.links_judged}), stance "
            f"accuracy LODO {r.stance_lodo:.3f} ({r.stance_lodo_ci}), shipped model "
            f"{r.stance_shipped:.3f}, rule reading {r.stance_rule:.3f}"
            + (
                ""
                if r.opens_with_label != r.opens_with_label
                else f"; replies opening with the key's label sentence {r.opens_with_label:.3f}"
            )
        )
    folder = output_dir / "eval"
    paths = [
        store.write_csv(figures, folder / "replies_metrics.csv"),
        store.write_csv(items, folder / "replies_items.csv"),
    ]
    click.echo(f"-> {', '.join(str(p) for p in paths)}", err=True)


@evaluate.command("recommendations")
@click.option(
    "--gold",
    "gold_paths",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    multiple=True,
    help="Gold CSV file (recs_*.csv); repeat for several.",
)
@output_option
@click.option(
    "--lodo/--no-lodo",
    default=False,
    help="Also refit the recommendation model leaving each document out in turn "
    "(needs the passages of the gold documents in OUTPUT).",
)
def eval_recommendations(gold_paths: tuple[Path, ...], output_dir: Path, lodo: bool) -> None:
    """Recommendations found, missed and extra, per report, against recs gold files.

    Matched by number where the gold has numbers, by opening words where it does not.
    Writes OUTPUT/eval/recommendations_metrics.csv and _items.csv (and
    recommendations_lodo_metrics.csv with --lodo).
    """
    from pipeline.evaluate.recommendations import (
        evaluate_recommendations_folder,
        leave_one_document_out,
        load_recs_gold,
    )

    _need(output_dir, schema.RECOMMENDATIONS, hint="run `sgpipe recommendations` first")
    try:
        scores = evaluate_recommendations_folder(list(gold_paths), output_dir)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("recommendations of the shipped model (trained on these documents: in-sample)")
    _echo_rec_metrics(scores.metrics)
    folder = output_dir / "eval"
    paths = [
        store.write_csv(scores.metrics, folder / "recommendations_metrics.csv"),
        store.write_csv(scores.items, folder / "recommendations_items.csv"),
    ]
    if lodo:
        _need(output_dir, schema.PASSAGES, schema.DOCUMENTS, hint="run `sgpipe extract` first")
        result = leave_one_document_out(
            store.read_table(schema.PASSAGES, output_dir),
            store.read_table(schema.DOCUMENTS, output_dir),
            load_recs_gold(list(gold_paths)),
        )
        click.echo("leave-one-document-out (model refitted without the document it is scored on)")
        _echo_rec_metrics(result.metrics)
        paths.append(store.write_csv(result.metrics, folder / "recommendations_lodo_metrics.csv"))
    click.echo(f"-> {', '.join(str(p) for p in paths)}", err=True)


def _echo_rec_metrics(metrics: Any) -> None:
    """Print one line per report of a recommendations metrics frame."""
    for row in metrics.itertuples(index=False):
        click.echo(
            f"  {row.doc}: gold {row.gold}, found {row.found}, missed {row.missed}, "
            f"extra {row.extra} (recall {row.recall:.3f}, precision {row.precision:.3f}"
            f", duplicates {row.duplicates})"
            + (f"; extra numbers {row.extra_numbers}" if row.extra_numbers else "")
        )


@evaluate.command("themes")
@click.option(
    "--gold",
    "gold_paths",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Gold CSV (doc, quote, page, themes) to score (repeatable) [default: every "
    "themes_*.csv of --labels, each alone and all together].",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/processed"),
    show_default=True,
    help="Output folder of a run over the gold's documents; scores go to OUTPUT/eval/.",
)
@codebook_option
@labels_option("Extra training labels for the model's cross-validation [default: data/labels].")
@reviews_option
@threshold_option
@click.option(
    "--rules-only", is_flag=True, help="Score the rules alone (no model cross-validation)."
)
@click.option(
    "--max-weak",
    type=click.IntRange(min=0),
    default=None,
    help="Add at most this many weakly labelled passages to the model's training (none "
    "by default).",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=10),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the 95% intervals.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
def eval_themes(
    gold_paths: tuple[Path, ...],
    output_dir: Path,
    codebook: Path | None,
    label_paths: tuple[Path, ...],
    reviews_path: Path,
    model_threshold: float,
    rules_only: bool,
    max_weak: int | None,
    resamples: int,
    seed: int,
) -> None:
    """Score theme tagging on real labels: rules, model (leave one document out), combined.

    Every gold file is scored alone and, when there are several, all together.
    """
    from pipeline.evaluate.themes import (
        POOLED,
        document_table,
        evaluate_label_sets,
        format_document_table,
        format_table,
        write_evaluation,
    )
    from pipeline.themes.labels import gold_files

    if not label_paths and Path("data/labels").is_dir():
        label_paths = (Path("data/labels"),)
    options = _theme_options(codebook, None, True, None, model_threshold)
    try:
        golds = list(gold_paths) or gold_files(label_paths)
        if not golds:
            raise click.ClickException("no gold file: give --gold or --labels")
        results = evaluate_label_sets(
            output_dir,
            golds,
            options=options,
            label_paths=label_paths,
            reviews_path=reviews_path if reviews_path.is_file() else None,
            systems=("rules",) if rules_only else ("rules", "model", "combined"),
            weak=max_weak is not None,
            max_weak=max_weak,
            n_resamples=resamples,
            seed=seed,
        )
    except (*_theme_errors(), ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for name, result in results.items():
        click.echo(f"\n== {name} ==")
        click.echo(format_table(result.table))
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        path = write_evaluation(result, output_dir / "eval", f"themes_{name}")
        click.echo(f"scores -> {path} (per-item predictions beside it)", err=True)
    pooled = results.get(POOLED) or next(iter(results.values()))
    docs = document_table(pooled, n_resamples=min(resamples, 300), seed=seed)
    click.echo("\n== by document (micro over the themes scored; held out by the model) ==")
    click.echo(format_document_table(docs))
    store.write_csv(docs, output_dir / "eval" / "themes_by_document.csv")


@main.group()
def review() -> None:
    """Check theme tags by hand: export them, mark accept/reject, import the decisions."""


@review.command("export")
@output_option
@click.option(
    "--file",
    "file_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV to write [default: OUTPUT/review/themes_review.csv].",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many rows.")
def review_export(output_dir: Path, file_path: Path | None, limit: int | None) -> None:
    """Write the tags to check, lowest score first, with passage text and evidence.

    Fill `decision` with accept or reject; list missing themes in `add_themes`
    (ids separated by ';'); then run `sgpipe review import FILE`.
    """
    from pipeline.themes.review import export_review

    path = file_path or output_dir / "review" / "themes_review.csv"
    try:
        n = export_review(output_dir, path, limit=limit)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{n} tags to review -> {path}", err=True)


@review.command("import")
@click.argument("file_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option
@codebook_option
@click.option(
    "--reviews",
    "reviews_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_REVIEWS_PATH,
    show_default=True,
    help="Labels file the decisions are merged into.",
)
def review_import(
    file_path: Path, output_dir: Path, codebook: Path | None, reviews_path: Path
) -> None:
    """Store the decisions of a reviewed CSV as labels (used by `sgpipe tag` and `train`)."""
    from pipeline.themes.codebook import load_codebook
    from pipeline.themes.review import import_review

    try:
        known = set(load_codebook(codebook).ids)
        res = import_review(file_path, output_dir, reviews_path=reviews_path, known_themes=known)
    except _theme_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{res.accepted} accepted, {res.rejected} rejected, {res.added} added, "
        f"{res.skipped} rows without a decision -> {res.path}",
        err=True,
    )


def _say(message: str) -> None:
    """A summary line on stderr, unless ``sgpipe -q``."""
    if not _quiet():
        click.echo(message, err=True)


def _outputs(output_dir: Path, jobs: int | None = None) -> RunConfig:
    """A config for the stages that read only the outputs (tables, report, export)."""
    if not (output_dir / "documents.parquet").exists():
        raise click.ClickException(
            f"no pipeline outputs in {output_dir} (documents.parquet not found); "
            "run `sgpipe run` or `sgpipe extract` first"
        )
    return RunConfig(input_dir=output_dir, output_dir=output_dir, jobs=jobs)


@main.command()
@output_option
@locks_output
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
@jobs_option
@locks_output
def report(output_dir: Path, jobs: int | None) -> None:
    """Rebuild the briefings from the stage outputs.

    OUTPUT/tables/briefing.xlsx and briefing.md (the tables, formatted), and in
    OUTPUT/report/ briefing.docx, the self-contained report.html and the REFI-QDA
    project themes.qdpx.
    """
    from pipeline.report import report_stage

    paths = report_stage(_outputs(output_dir, jobs))
    _say("report -> " + ", ".join(str(p.relative_to(output_dir)) for p in paths))


@main.command()
@output_option
@since_option
@silent_option
def changes(output_dir: Path, since: str, silent_months: int) -> None:
    """Print what changed since the last briefing (tables/changes.csv of the last run).

    With --since, compare the current outputs with that snapshot instead (nothing is
    written).
    """
    from pipeline.changes import SnapshotError, build_snapshot, compare, pick_base
    from pipeline.report.common import changes_view
    from pipeline.tables import build_tables

    _outputs(output_dir)
    tables = build_tables(output_dir)
    if since:
        try:
            base = pick_base(output_dir, since)
        except SnapshotError as exc:
            raise click.ClickException(str(exc)) from exc
        tables.changes = compare(base, build_snapshot(output_dir), silent_months=silent_months)
    intro, rows = changes_view(tables)
    click.echo(intro)
    for r in rows.itertuples(index=False):
        move = f": {r.Before or '-'} -> {r.Now}" if r.Before or r.Now else ""
        click.echo(f"- {r.What}: {r[1]}{move}")
        if r.Quote:
            click.echo(f'    "{r.Quote}"')
        if r.Where:
            click.echo(f"    {r.Where}")


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
