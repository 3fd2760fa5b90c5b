"""Theme tagging: the codebook, the spaCy rule tagger, the scikit-learn model, and the
stage that combines them into ``themes.parquet``.

The stage's options (:class:`pipeline.config.ThemeOptions`) live with the other
options in :mod:`pipeline.config`, so that naming them loads no model.
"""
