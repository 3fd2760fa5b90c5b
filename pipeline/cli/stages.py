"""``sgpipe`` commands that run one stage: extract, tag, train, recommendations, link,
trace, tables, report, changes, export (``sgpipe run``: :mod:`pipeline.cli.run_command`)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline import schema, store
from pipeline.cli.common import (
    codebook_option,
    input_option,
    is_quiet,
    jobs_option,
    labels_option,
    locks_output,
    main,
    model_option,
    need_tables,
    no_model_option,
    ocr_option,
    output_option,
    outputs_config,
    pdf_backend_option,
    report_extraction,
    reviews_option,
    run_config,
    say,
    silent_option,
    since_option,
    strict_option,
    theme_errors,
    theme_options_from,
    threshold_option,
    wait_option,
)
from pipeline.config import (
    RunConfig,
)
from pipeline.documents import ManifestError
from pipeline.frames import itertuples
from pipeline.rag import RagMappingError
from pipeline.run import run_extract
from pipeline.tracing.curated import RecommendationsFileError


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
    cfg = run_config(input_dir, output_dir, jobs, pdf_backend, ocr)
    cfg.wait = wait
    try:
        result = run_extract(cfg)
    except (ManifestError, RagMappingError) as exc:
        raise click.ClickException(str(exc)) from exc
    report_extraction(result.summary(), output_dir, strict)


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
    from pipeline.themes.stage import tag_stage

    options = theme_options_from(
        codebook, model_path, no_model, reviews_path, model_threshold, not drop_negated
    )
    if not (output_dir / "passages.parquet").is_file():
        raise click.ClickException(
            f"{output_dir}: no passages.parquet (run `sgpipe extract` or `sgpipe run` first)"
        )
    cfg = RunConfig(
        input_dir=Path("."),
        output_dir=output_dir,
        jobs=jobs,
        themes=options,
        progress=not is_quiet(),
    )
    try:
        themes = tag_stage(cfg)
    except theme_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    n = len(counted(themes))
    say(
        f"{n} theme tags ({len(themes) - n} negated) on {themes['passage_id'].nunique()} "
        f"passages ({'rules + model' if options.model else 'rules only'}) "
        f"-> {output_dir / 'themes.parquet'}",
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
    from pipeline.themes.choice import RULES_MARGIN
    from pipeline.themes.domain import CHILDREN, OTHER
    from pipeline.themes.labels import gold_files, rule_blind_sources
    from pipeline.themes.training import train as train_model

    if not label_paths and Path("data/labels").is_dir():
        label_paths = (Path("data/labels"),)
    options = theme_options_from(codebook, None, True, None, model_threshold)
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
            blind_sources=rule_blind_sources(label_paths),
        )
    except (*theme_errors(), ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    meta = result.model.metadata
    sources = ", ".join(f"{k} {v}" for k, v in meta["training_passages"].items())
    say(f"trained on {len(result.data)} passages ({sources})")
    say(f"themes modelled: {', '.join(result.model.classes) or 'none'}")
    by_model = meta.get("decided_by_model") or {}
    blind = meta.get("rule_blind_sets") or []
    say(
        "decided by the model (the rules did not beat it by at least "
        f"{RULES_MARGIN} F1 on the rule-blind sets "
        f"{', '.join(blind) or '(none listed)'}), in documents about children and "
        f"families: {', '.join(by_model.get(CHILDREN, [])) or 'none'}; in other documents: "
        f"{', '.join(by_model.get(OTHER, [])) or 'none'}; the rules decide the others"
    )
    cvm = meta.get("cross_validation")
    if cvm:
        for system in ("rules", "model", "combined"):
            r = cvm[system]
            say(
                f"cross-validated {system:9s} P {r['precision']:.3f}  R {r['recall']:.3f}  "
                f"F1 {r['f1']:.3f}  ({cvm['passages']} labelled passages, folds by document)",
            )
    say(f"model -> {result.path} (metadata: {result.path}.json)")


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

    need_tables(output_dir, schema.PASSAGES, hint="run `sgpipe extract` first")
    try:
        recs = recommendations_stage(RunConfig(input_dir=input_dir, output_dir=output_dir))
    except RecommendationsFileError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = recs.groupby("review").size() if len(recs) else {}
    for review, n in dict(counts).items():
        say(f"{review}: {n} recommendation(s)")
    say(f"{len(recs)} recommendations -> {output_dir / schema.RECOMMENDATIONS.filename}")


@main.command()
@input_option
@output_option
@jobs_option
@locks_output
def link(input_dir: Path, output_dir: Path, jobs: int | None) -> None:
    """Link later passages to the recommendations they report on (links.parquet).

    Also writes tables/recommendation_coverage.csv. Needs `sgpipe recommendations`.
    """
    from pipeline.tracing.coverage import write_coverage
    from pipeline.tracing.link import link_stage

    need_tables(
        output_dir,
        schema.PASSAGES,
        schema.RECOMMENDATIONS,
        hint="run `sgpipe recommendations` first",
    )
    links = link_stage(RunConfig(input_dir=input_dir, output_dir=output_dir, jobs=jobs))
    table = write_coverage(output_dir)
    say(
        f"{len(links)} links to {links['rec_id'].nunique()} recommendation(s) -> "
        f"{output_dir / schema.LINKS.filename}, {table}",
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

    need_tables(output_dir, schema.RECOMMENDATIONS, schema.LINKS, hint="run `sgpipe run` first")
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

    result = tables_stage(outputs_config(output_dir))
    for note in result.notes:
        say(f"note: {note}")
    names = ", ".join(f"{n}.csv" for n in result.csv_tables())
    say(f"tables -> {output_dir / TABLES_DIR}: {names}")


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

    paths = report_stage(outputs_config(output_dir, jobs))
    say("report -> " + ", ".join(str(p.relative_to(output_dir)) for p in paths))


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

    outputs_config(output_dir)
    tables = build_tables(output_dir)
    if since:
        try:
            base = pick_base(output_dir, since)
        except SnapshotError as exc:
            raise click.ClickException(str(exc)) from exc
        tables.changes = compare(base, build_snapshot(output_dir), silent_months=silent_months)
    intro, rows = changes_view(tables)
    click.echo(intro)
    for r in itertuples(rows, index=False):
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
    outputs_config(output_dir)
    tables = build_tables(output_dir)
    write_bytes(build_qdpx(tables, name=name), file)
    say(f"REFI-QDA project -> {file}")


if __name__ == "__main__":  # pragma: no cover
    main()
