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
# # Explore themes
#
# Which themes do the documents raise, where, and in whose words? This notebook
# reads the outputs of a pipeline run (`make all` writes them to `data/processed/`;
# set `SGPIPE_OUTPUT` to read another folder) through `pipeline.explore`.
# Counts are passages; every figure traces back to a quote in the evidence table.

# %%
import pandas as pd

from pipeline import explore

pd.set_option("display.max_colwidth", 160)
tables = explore.load()
explore.overview(tables)

# %% [markdown]
# ## Themes by document
# Colour: the share of each document's passages that raise the theme; number: passages.

# %%
explore.show_svg(explore.heatmap_svg(tables), "No theme is counted yet.")

# %%
explore.heatmap_table(tables)

# %% [markdown]
# ## The strongest evidence for each theme
# Three quotes per theme, strongest first, with document, date, page, paragraph and speaker.

# %%
explore.top_evidence(tables, n=3)

# %% [markdown]
# ## Filter by document type and speaker

# %%
types = explore.doc_types(tables)
print("document types:", types)
explore.filter_evidence(tables, doc_type="minutes" if "minutes" in types else None)

# %%
speakers = explore.speakers(tables)
print(speakers.head(10).to_string() if len(speakers) else "no speaker is quoted")
explore.filter_evidence(tables, speaker=speakers.index[0] if len(speakers) else None)
