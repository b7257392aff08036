# %% [markdown]
# (ch-scorecard)=
# # Scorecard: every published number against ours
#
# Every number printed in Tables 1–4 beside ours, with a status. Each kind of number is
# judged by a rule that suits it:
#
# | kind | *within rounding* | *within tolerance* |
# | --- | --- | --- |
# | coefficient | ours rounds to the printed value (\|Δ\| ≤ {glue:text}`rule_rounding`) | \|Δ\| ≤ one published standard error |
# | standard error | as above | ours / paper between {glue:text}`rule_se` |
# | Table 1 statistic | as above (N exact) | \|Δ\| ≤ {glue:text}`rule_table1` of the variable's published standard deviation |
# | N | exact | — |
# | R² | as above | \|Δ\| ≤ {glue:text}`rule_r2` |
#
# Anything else is *off*. A published number whose specification was not estimated (for
# instance after changing the controls) is *not estimated*.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore"
pilots = None  # None: the Broadband China lists; or a CSV of city, first_year (--pilots)
rescale = None  # None: mar and fin in percent (schema.REGRESSION_SCALE); {} keeps your units

# %% tags=["hide-input"]
from replicate import i18n, replication
from replicate.data import load_panel
from replicate.report import prose, prose_zh, tables
from replicate.report.glue import glue

panel = load_panel(data, reading=reading, pilots=pilots)
options = replication.options_from(globals())  # the parameters above, defaults resolved
glue("rule_rounding", f"{replication.ROUNDING:.4f}", display=False)
i18n.glue(
    "rule_se",
    "{:g} and {:g}".format(*replication.SE_RATIO),
    "{:g} 与 {:g} 之间".format(*replication.SE_RATIO),
)
glue("rule_table1", f"{replication.TABLE1_SD_SHARE:.0%}", display=False)
glue("rule_r2", f"{replication.R2_TOLERANCE:g}", display=False)

# %%
card = replication.scorecard(panel, **options)
tables.show(replication.scorecard_summary(card))

# %% tags=["hide-input"]
glue("n_numbers", len(card), display=False)
i18n.glue("scorecard_sentence", prose.describe_scorecard(card), prose_zh.describe_scorecard(card))
i18n.glue(
    "calibration_sentence",
    prose.describe_calibration_check(card, panel),
    prose_zh.describe_calibration_check(card, panel),
)

# %% [markdown]
# Of the {glue:text}`n_numbers` published numbers, counted by kind of number:
# {glue:text}`scorecard_sentence`.
#
# ```{admonition} What the scorecard measures
# :class: warning
# On the synthetic twin, the scorecard is a check of the machinery, not a replication:
# the twin's generator was calibrated so that the *average* over many twins of every
# published number comes close to it, and one draw adds sampling noise to each.
# {glue:text}`calibration_sentence` The counts above are what one draw gives; they are
# not evidence about the paper. {ref}`ch-calibration` shows, number by number, how far
# each lands from the paper from one twin to the next. On a real panel the scorecard is
# the replication result.
# ```
#
# ## The numbers that are off
#
# For a standard error the gap is the ratio ours / paper; for everything else the
# difference ours − paper.

# %% tags=["hide-input"]
off = card[card["status"] == "off"]
tables.show(
    tables.labelled(tables.scorecard_layout(off), panel), "Published numbers not reproduced"
)

# %% [markdown]
# ## Every number

# %% tags=["hide-input", "hide-output"]
tables.show(tables.labelled(tables.scorecard_layout(card), panel), "All published numbers")
