"""``sgpipe eval``: score themes, links, recommendations and reply stances against gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pipeline import schema, store
from pipeline.cli.common import (
    codebook_option,
    labels_option,
    main,
    need_tables,
    output_option,
    reviews_option,
    say,
    theme_errors,
    theme_options_from,
    threshold_option,
)
from pipeline.frames import itertuples
from pipeline.gold import GoldError


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

    need_tables(output_dir, schema.PASSAGES, schema.LINKS, hint="run `sgpipe run` first")
    try:
        scores = evaluate_links_folder(gold_path, output_dir)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    for row in itertuples(scores.metrics, index=False):
        ci = "" if row.ci_low != row.ci_low else f"  (95% CI {row.ci_low:.3f}-{row.ci_high:.3f})"
        click.echo(f"{row.metric:16s} {row.value:.3f}  n={row.n}{ci}")
    paths = write_scores(scores, output_dir / "eval", stem=gold_path.stem)
    say(f"-> {', '.join(str(p) for p in paths)}")


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

    need_tables(output_dir, schema.PASSAGES, schema.LINKS, hint="run `sgpipe run` first")
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
    for r in itertuples(figures, index=False):
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
    say(f"-> {', '.join(str(p) for p in paths)}")


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

    need_tables(output_dir, schema.RECOMMENDATIONS, hint="run `sgpipe recommendations` first")
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
        need_tables(
            output_dir,
            schema.PASSAGES,
            schema.DOCUMENTS,
            hint="run `sgpipe extract` first",
        )
        result = leave_one_document_out(
            store.read_table(schema.PASSAGES, output_dir),
            store.read_table(schema.DOCUMENTS, output_dir),
            load_recs_gold(list(gold_paths)),
        )
        click.echo("leave-one-document-out (model refitted without the document it is scored on)")
        _echo_rec_metrics(result.metrics)
        paths.append(store.write_csv(result.metrics, folder / "recommendations_lodo_metrics.csv"))
    say(f"-> {', '.join(str(p) for p in paths)}")


def _echo_rec_metrics(metrics: Any) -> None:
    """Print one line per report of a recommendations metrics frame."""
    for row in itertuples(metrics, index=False):
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
    options = theme_options_from(codebook, None, True, None, model_threshold)
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
    except (*theme_errors(), ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for name, result in results.items():
        click.echo(f"\n== {name} ==")
        click.echo(format_table(result.table))
        for note in result.notes:
            say(f"note: {note}")
        path = write_evaluation(result, output_dir / "eval", f"themes_{name}")
        say(f"scores -> {path} (per-item predictions beside it)")
    pooled = results.get(POOLED) or next(iter(results.values()))
    docs = document_table(pooled, n_resamples=min(resamples, 300), seed=seed)
    click.echo("\n== by document (micro over the themes scored; held out by the model) ==")
    click.echo(format_document_table(docs))
    store.write_csv(docs, output_dir / "eval" / "themes_by_document.csv")
