"""Extraction: one reader per format (pdf, text, docx, html), each producing the
backend-neutral lines of :mod:`pipeline.extract.lines`; :mod:`pipeline.extract.extractor`
turns one file into its document row and passages."""
