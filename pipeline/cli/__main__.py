"""``python -m pipeline.cli``: the ``sgpipe`` command."""

from pipeline.cli.common import main

main()
