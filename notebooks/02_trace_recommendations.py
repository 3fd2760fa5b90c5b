# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Trace recommendations
#
# Choose a review, see when later documents reported on each of its
# recommendations and what they said, and list the recommendations nobody has
# mentioned since. Reads a pipeline run's outputs (`data/processed/`, or the
# folder in `SGPIPE_OUTPUT`) through `pipeline.explore`.

# %%
import os

import pandas as pd

from pipeline import explore

pd.set_option("display.max_colwidth", 160)
tables = explore.load()
reviews = explore.reviews(tables)
print("reviews with recommendations:", reviews)

# %% tags=["parameters"]
# The review to trace: set SGPIPE_REVIEW, or edit this line.
REVIEW = os.environ.get("SGPIPE_REVIEW") or (reviews[0] if reviews else None)
REVIEW

# %% [markdown]
# ## The recommendations and how often later passages report on them

# %%
explore.recommendations(tables, REVIEW) if REVIEW else "no review has recommendations yet"

# %% [markdown]
# ## Timeline
# Each row is a recommendation; markers are later documents reporting on it, at the
# document's date, coloured and shaped by the status they state.

# %%
explore.show_svg(explore.timeline_svg(tables, REVIEW) if REVIEW else None, "No recommendations.")

# %%
explore.recommendation_timeline(tables, REVIEW) if REVIEW else None

# %% [markdown]
# ## Silent recommendations
# Recommendations that no later passage reports on, by number or in substance.

# %%
explore.silent_recommendations(tables, REVIEW) if REVIEW else None

# %% [markdown]
# ## Coverage (from the linking stage, where installed)

# %%
cov = explore.coverage(tables, REVIEW) if REVIEW else None
cov if cov is not None else "The linking stage's coverage table is not available in this run."
