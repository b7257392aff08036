# %% [markdown]
# (ch-scorecard)=
# # Scorecard: every published number against ours
#
# Every number printed in Tables 1–4 — 202 of them — beside our estimate, with a status:
# *within rounding* (ours rounds to the printed value), *within one s.e.* (a coefficient
# within one published standard error; a standard error less than twice the published
# one; a Table 1 mean within one standard error of the mean), or *off*.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore"
rescale = {"mar": 100.0, "fin": 100.0}  # regression units; {} keeps your file's units

# %%

from replicate import replication
from replicate.data import load_panel
from replicate.report import tables

panel = load_panel(data, reading=reading)
card = replication.scorecard(panel, rescale=rescale)
summary = replication.scorecard_summary(card)
tables.show(summary, f"Scorecard summary — {panel.label}", synthetic=panel.synthetic)

# %% [markdown]
# ```{admonition} What the scorecard measures
# :class: warning
# On the synthetic twin, Table 1 agrees by construction and the coefficients agree
# because the twin's truth *is* the paper's estimates; disagreements show sampling
# noise of one draw and the features of the paper the twin does not mimic (the drop in
# Table 4 column 1, say). On a real panel the scorecard is the replication result.
# ```
#
# ## The numbers that are off

# %%
off = card[card["status"] == "off"].drop(columns=["paper_stars", "our_stars"])
tables.show(
    off.set_index(["table", "column", "variable", "statistic"]),
    "Published numbers not reproduced",
    synthetic=panel.synthetic,
    decimals=4,
)

# %% [markdown]
# ## Every number

# %%
shown = card.drop(columns=["paper_stars", "our_stars"]).set_index(
    ["table", "column", "variable", "statistic"]
)
tables.show(shown, "All published numbers", synthetic=panel.synthetic, decimals=4)
