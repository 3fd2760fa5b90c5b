"""The ``sgpipe`` command line: thin wrappers that parse options, call the runner or one
stage, and report.

:mod:`~pipeline.cli.common` holds the ``main`` group and the shared options. Each
command lives in the module :data:`~pipeline.cli.common.COMMAND_MODULES` names
(:mod:`~pipeline.cli.run_command`, :mod:`~pipeline.cli.stages`,
:mod:`~pipeline.cli.evaluate`, :mod:`~pipeline.cli.review`), imported when the command
is first asked for, so that ``sgpipe run`` with nothing to do loads no stage.
"""

from pipeline.cli.common import EXIT_STRICT, main

__all__ = ["EXIT_STRICT", "main"]
