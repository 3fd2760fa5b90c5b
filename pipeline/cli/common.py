"""What every ``sgpipe`` command shares: the ``main`` group, logging, the common options
and the small helpers that turn options into a :class:`~pipeline.config.RunConfig`.

Exit codes: 0 success; 1 a fatal error (bad input folder, malformed manifest or
codebook, or another run holding the output folder's lock); 2 a usage error; 3 with
``--strict``, when any document could not be read.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.config import (
    DEFAULT_MODEL_THRESHOLD,
    DEFAULT_REVIEWS_PATH,
    PDF_BACKENDS,
    ExtractOptions,
    RunConfig,
    ThemeOptions,
)
from pipeline.lock import OutputLocked, output_lock
from pipeline.runrecord import RunSummary

if TYPE_CHECKING:
    from pipeline.schema import Table

EXIT_STRICT = 3

log = logging.getLogger("pipeline")


def setup_logging(verbose: int, quiet: bool) -> None:
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


#: Where each command of ``sgpipe`` is defined: its module is imported only when the
#: command runs (or ``--help`` lists it), so that a command loads only what it needs.
COMMAND_MODULES = {
    "run": "pipeline.cli.run_command",
    "extract": "pipeline.cli.stages",
    "tag": "pipeline.cli.stages",
    "train": "pipeline.cli.stages",
    "recommendations": "pipeline.cli.stages",
    "link": "pipeline.cli.stages",
    "trace": "pipeline.cli.stages",
    "tables": "pipeline.cli.stages",
    "report": "pipeline.cli.stages",
    "changes": "pipeline.cli.stages",
    "export": "pipeline.cli.stages",
    "eval": "pipeline.cli.evaluate",
    "review": "pipeline.cli.review",
}


class SgpipeGroup(click.Group):
    """The ``sgpipe`` group: commands load lazily (:data:`COMMAND_MODULES`), and a locked
    output folder is reported as an error (exit code 1)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, whether or not its module is loaded yet."""
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing the module that defines it on first use."""
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name])
        return self.commands.get(cmd_name)

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


@click.group(cls=SgpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More messages on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(package_name="safeguarding-pipeline")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Read safeguarding documents, tag their themes and trace recommendations.

    Every output row keeps its provenance: document, page, paragraph number and
    the quote. Run the whole pipeline with `sgpipe run`, or one stage at a time.
    """
    setup_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet}


def is_quiet() -> bool:
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


def theme_options_from(
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


def theme_errors() -> tuple[type[Exception], ...]:
    from pipeline.themes.codebook import CodebookError
    from pipeline.themes.labels import LabelError
    from pipeline.themes.model import ModelError

    return (CodebookError, LabelError, ModelError, FileNotFoundError)


def run_config(
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
        progress=not is_quiet(),
        themes=themes or ThemeOptions(),
    )


def report_extraction(summary: RunSummary, output_dir: Path, strict: bool) -> None:
    """The run's summary line on stderr; exit code 3 with ``--strict`` when a document
    could not be read."""
    if not is_quiet():
        s = summary
        click.echo(
            f"{s.documents} documents ({s.extracted} processed, {s.cached} unchanged"
            f"{f', {s.duplicates} duplicate' if s.duplicates else ''}, {len(s.failed)} could "
            f"not be read); {s.passages} passages -> {output_dir}",
            err=True,
        )
    if strict and summary.failed:
        raise SystemExit(EXIT_STRICT)


def need_tables(output_dir: Path, *tables: Table, hint: str) -> None:
    for table in tables:
        if not (output_dir / table.filename).exists():
            raise click.ClickException(f"{output_dir / table.filename} not found: {hint}")


def say(message: str) -> None:
    """A summary line on stderr, unless ``sgpipe -q``."""
    if not is_quiet():
        click.echo(message, err=True)


def outputs_config(output_dir: Path, jobs: int | None = None) -> RunConfig:
    """A config for the stages that read only the outputs (tables, report, export)."""
    if not (output_dir / "documents.parquet").exists():
        raise click.ClickException(
            f"no pipeline outputs in {output_dir} (documents.parquet not found); "
            "run `sgpipe run` or `sgpipe extract` first"
        )
    return RunConfig(input_dir=output_dir, output_dir=output_dir, jobs=jobs)
