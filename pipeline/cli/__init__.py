"""The ``sgpipe`` command line: thin wrappers that parse options, call the runner or one
stage, and report.

:mod:`~pipeline.cli.common` holds the ``main`` group and the shared options;
:mod:`~pipeline.cli.stages`, :mod:`~pipeline.cli.evaluate` and
:mod:`~pipeline.cli.review` register their commands on it when imported here.
"""

from pipeline.cli import evaluate, review, stages  # noqa: F401  (registers the commands)
from pipeline.cli.common import EXIT_STRICT, main

__all__ = ["EXIT_STRICT", "main"]
