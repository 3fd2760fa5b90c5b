"""Recommendation tracing: find a report's recommendations, then every later passage
that answers one, with its status and the response's stance.

One stage floor of the package (CONTRIBUTING.md, "The house"); its modules, in the
order a passage meets them:

- :mod:`~pipeline.tracing.candidates` and :mod:`~pipeline.tracing.recmodel`: candidate
  items of a report and the learned decision over their features;
- :mod:`~pipeline.tracing.recommendations`: the recommendations stage
  (``recommendations.parquet``), with :mod:`~pipeline.tracing.addressees` (who is
  asked), :mod:`~pipeline.tracing.curated` (an analyst's ``recommendations.csv``) and
  :mod:`~pipeline.tracing.reviews` (short review names);
- :mod:`~pipeline.tracing.references` ("recommendation 3", "R4", "8.2 (a)") and
  :mod:`~pipeline.tracing.link`: the links stage (``links.parquet``);
- :mod:`~pipeline.tracing.replies` and :mod:`~pipeline.tracing.stance`: a response's
  reply to each recommendation and its stance;
- :mod:`~pipeline.tracing.coverage`: the per-recommendation coverage table and
  ``sgpipe trace``.

Nothing here imports the runner, the tables or the briefings.
"""
