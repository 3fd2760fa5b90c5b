"""Evaluation against gold labels: locating gold quotes in passages (:mod:`.gold`),
metrics with bootstrap intervals (:mod:`.metrics`), and one module per task."""
