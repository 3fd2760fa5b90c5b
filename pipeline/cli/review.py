"""``sgpipe review``: export theme tags for checking by hand, import the decisions."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.common import (
    codebook_option,
    main,
    output_option,
    say,
    theme_errors,
)
from pipeline.config import (
    DEFAULT_REVIEWS_PATH,
)


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
    say(f"{n} tags to review -> {path}")


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
    except theme_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    say(
        f"{res.accepted} accepted, {res.rejected} rejected, {res.added} added, "
        f"{res.skipped} rows without a decision -> {res.path}",
    )
