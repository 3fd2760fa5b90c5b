"""``sgpipe run``: every stage, or nothing when nothing has changed.

This module imports only the standard library, click and the ground floor at import
time, so that a re-run with nothing changed (:func:`pipeline.runrecord.unchanged_run`)
answers before pandas or any stage loads.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from pipeline.cli.common import (
    codebook_option,
    input_option,
    jobs_option,
    log,
    main,
    model_option,
    no_model_option,
    ocr_option,
    output_option,
    pdf_backend_option,
    report_extraction,
    reviews_option,
    run_config,
    silent_option,
    since_option,
    strict_option,
    theme_errors,
    theme_options_from,
    wait_option,
)
from pipeline.runrecord import unchanged_run


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
    themes = theme_options_from(codebook, model_path, no_model, reviews_path)
    cfg = run_config(input_dir, output_dir, jobs, pdf_backend, ocr, themes)
    cfg.wait, cfg.since, cfg.silent_months = wait, since, silent_months
    if since:  # a bad --since stops the run before it writes anything
        from pipeline.changes import SnapshotError, pick_base

        try:
            pick_base(output_dir, since)
        except SnapshotError as exc:
            raise click.ClickException(str(exc)) from exc
    summary = unchanged_run(cfg)  # nothing changed: stop before loading the pipeline
    if summary is not None:
        log.info("nothing changed since the last complete run: outputs kept")
        summary = replace(summary, extracted=0, cached=summary.extracted + summary.cached)
        for path, status, error in summary.failed:
            log.warning("%s: %s: %s", Path(input_dir) / path, status, error)
    else:
        from pipeline.documents import ManifestError
        from pipeline.rag import RagMappingError
        from pipeline.run import run_all
        from pipeline.tracing.curated import RecommendationsFileError

        try:
            summary = run_all(cfg).summary()
        except (ManifestError, RecommendationsFileError, RagMappingError, *theme_errors()) as exc:
            raise click.ClickException(str(exc)) from exc
    report_extraction(summary, output_dir, strict)
