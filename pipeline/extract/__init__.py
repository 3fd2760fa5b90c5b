"""Readers: one per format (pdf, text, docx, html), each producing the backend-neutral
lines of :mod:`pipeline.extract.lines`. Readers know nothing of passages or documents:
:mod:`pipeline.passages` (the extract stage's task) turns one file into its row and passages."""
