# %% [markdown]
# (ch-conclusions)=
# # Conclusions: what replicates, what cannot, and what changes
#
# This chapter gathers the book's findings. Where a finding rests on the paper's
# published numbers or on the real pilot lists, it is a finding about the paper; where it
# rests on the synthetic twin, it is a finding about the method, and says so.

# %% tags=["parameters"]
data = "synthetic"  # the panel for the checks that need one
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore"
pilots = None  # None: the Broadband China lists; or a CSV of city, first_year (--pilots)

# %% tags=["hide-input"]
import pandas as pd

import replicate
from replicate import checks, i18n, paper, replication
from replicate.data import code_pilots, load_panel
from replicate.models.staggered import bacon_decomposition, twfe_weights
from replicate.report import prose, prose_zh, tables
from replicate.report.glue import glue

panel = load_panel(data, reading=reading, pilots=pilots)
frame = replication.regression_frame(panel)
sample = replication.singleton_sample()
glue("n_single", len(sample["provinces"]), display=False)
glue("n_t4", f"{sample['N']:,}", display=False)
glue("paper_n_t4", f"{sample['paper N']:,}", display=False)
same_n = sample["N"] == sample["paper N"]
i18n.glue(
    "n_t4_verdict",
    "which is exactly what" if same_n else "which differs from what",
    "恰好等于" if same_n else "不同于",
)

# %% [markdown]
# ## What replicates and what cannot
#
# - **The design replicates from public sources.** The 285 cities, the three pilot
#   lists and the pilot timing are rebuilt from official announcements
#   ({ref}`ch-data`). With this city list, {glue:text}`n_single` provinces hold a single
#   sample city, so province-by-year effects leave {glue:text}`n_t4` observations —
#   {glue:text}`n_t4_verdict` Table 4 column (1) reports ({glue:text}`paper_n_t4`).
# - **The estimates cannot be replicated without the authors' panel.** The outcome is
#   a keyword index of unpublished city texts with an unpublished list of 46 keywords;
#   the controls come from yearbooks under licence. The book runs every step on a
#   synthetic twin calibrated to the paper's statistics, so a reader with the data can
#   run the same code (`replicate book --data PATH`) and obtain the replication itself.
# - **The measurement replicates in form.** {ref}`ch-index` builds a keyword index the
#   way the paper describes and runs it on the real Government Work Reports.
#
# ## What a careful replicator notices, checked
#
# **1. The treated share.** The paper's Table 1 gives a mean of `did` of
# {glue:text}`paper_did_mean`; the official lists give (real data):

# %% tags=["hide-input"]
readings = replication.pilot_readings()
tables.show(
    readings[["treated cities", "treated city-years", "did mean", "paper did mean"]],
    "The pilot lists against Table 1's mean of did",
    decimals=4,
    notes="Real data: the official pilot lists mapped to the 285 sample cities.",
)

# %% tags=["hide-input"]
glue("paper_did_mean", f"{paper.TABLE1.loc['did', 'mean']:.3f}", display=False)
reproducing = list(readings.index[readings["reproduces"]])
i18n.glue(
    "share_verdict",
    "Neither reading reproduces it, so the authors' coding of the pilots differs from the "
    "published lists in a way the paper does not document."
    if not reproducing
    else "The " + " and ".join(reproducing) + " reading reproduces it.",
    "两种解读都无法复现这一均值，可见作者对试点的编码与公布的名单不同，而原文没有说明这种差异。"
    if not reproducing
    else "和".join(f"“{r}”" for r in reproducing) + "解读复现了这一均值。",
)

# %% [markdown]
# {glue:text}`share_verdict`
#
# **2. The constants reveal the regressions' units.** A fixed-effects regression reports
# its constant as ȳ − x̄′b; with Table 1's means, which units make the printed constants
# satisfy that identity within their rounding?

# %% tags=["hide-input"]
units = checks.constant_units()
verdicts = ["printed constant", "rounding bound", "fits Table 1 units", "fits percent"]
tables.show(
    units[verdicts],
    "Printed constants against ȳ − x̄′b from Table 1's means",
    decimals=4,
    notes="Computed from the paper's printed numbers alone (no data). A reading fits when "
    "the constant it implies is within the rounding bound of the printed one "
    "(the gaps are in the baseline chapter).",
)

# %% tags=["hide-input"]
i18n.glue(
    "units_sentence", prose.describe_constant_units(units), prose_zh.describe_constant_units(units)
)

# %% [markdown]
# {glue:text}`units_sentence`
#
# **3. R² = 0.915 in all seven columns of Table 2.** With 285 city and 18 year effects
# the fixed effects carry nearly all the fit; adding weak controls moves R² little. On
# this panel, with the same structure:

# %% tags=["hide-input"]
results = replication.estimate(2, panel)
r2 = {f"({c})": r.rsquared for c, r in results.items()}
tables.show(
    tables.labelled(pd.DataFrame([r2], index=["R²"]), panel), "R² of Table 2's columns", decimals=4
)

# %% tags=["hide-input"]
spread = max(r2.values()) - min(r2.values())
glue("r2_range", f"{spread:.4f}", display=False)
i18n.glue(
    "r2_verdict",
    "less than one unit of the third decimal (0.001), so a table printing the same R² "
    "in every column is what this structure can produce, not in itself a sign of an error"
    if spread < 0.001
    else "more than one unit of the third decimal (0.001): seven identical printed R² would "
    "need the paper's controls to explain even less than they do here",
    "不到第三位小数的一个单位（0.001），因此每一列印出相同的 R² 正是这种结构可能产生的结果，"
    "本身并不说明有错误"
    if spread < 0.001
    else "超过第三位小数的一个单位（0.001）：要印出七个相同的 R²，原文的控制变量的解释力"
    "必须比这里还要弱",
)

# %% [markdown]
# The seven R² span {glue:text}`r2_range`: {glue:text}`r2_verdict`. (Seven R² printed
# as the same three decimals must lie within one rounding interval, a span below 0.001.)
#
# **4. innovp is printed as 0.001 (0.000) with one star.** Scanning every coefficient
# and standard error consistent with that cell (see {ref}`ch-mechanism`):

# %% tags=["hide-input"]
bounds = checks.published_indirect_bounds()
tables.show(
    bounds,
    "What Table 3's printed cells allow for the indirect effect",
    decimals=4,
    notes="Computed from the paper's printed numbers alone (no data).",
)

# %% tags=["hide-input"]
i18n.glue(
    "published_verdict", prose.describe_published_indirect(), prose_zh.describe_published_indirect()
)

# %% [markdown]
# {glue:text}`published_verdict` By the paper's own numbers, then, H2's mechanism
# rests on a link significant at 10% only.
#
# **5. Staggered timing and TWFE.** The Goodman-Bacon weights and the de
# Chaisemartin–D'Haultfœuille weights depend only on who is treated when — on the real
# pilot lists, not on the outcome. They describe the design as this book codes it from
# the official lists; the paper's own coding of who became a pilot when is unpublished and
# differs from them ({ref}`ch-data`), so they are not facts about the paper's sample:

# %%
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
bacon = bacon_decomposition(frame, "nqp", **columns).by_type()["weight"]
weights = twfe_weights(frame, "nqp", **columns)
timing = frame.groupby("city_id")["g"].first()
official = code_pilots(reading).first_year
bacon_table = bacon.to_frame("weight in the TWFE coefficient")
balanced = len(frame) == len(official) * frame["year"].nunique()
if balanced and timing.sort_index().equals(official.sort_index()):
    # the weights use only who is treated when in a balanced panel: the official timing
    notes = (
        f"Real data: the weights depend only on who is treated when in the balanced panel of "
        f"the {len(official)} cities, {frame['year'].min()}–{frame['year'].max()}; "
        "here that is the official pilot lists' timing."
    )
else:
    bacon_table, notes = tables.labelled(bacon_table, panel), None
tables.show(bacon_table, "Goodman-Bacon weights of the 2×2 comparisons", decimals=4, notes=notes)

# %% tags=["hide-input"]
never = float((frame.groupby("city_id")["g"].first() == 0).mean())
glue("never_share", f"{100 * never:.0f}", display=False)
glue("clean_weight", f"{bacon.loc['Treated vs Untreated']:.3f}", display=False)
forbidden = float(bacon.loc["Later vs Earlier Treated"])
glue("forbidden_weight", f"{forbidden:.3f}", display=False)
small = forbidden < 0.1
i18n.glue(
    "forbidden_verdict",
    "a small part (under a tenth)" if small else "a sizeable part (a tenth or more)",
    "一小部分（不到十分之一）" if small else "相当大的一部分（十分之一或更多）",
)
i18n.glue(
    "negative_weights",
    "no treated city-year has a negative weight"
    if weights.n_negative == 0
    else f"{weights.n_negative} of {len(weights.weights)} treated city-years have negative weights",
    "没有任何处理组城市—年份的权重为负"
    if weights.n_negative == 0
    else f"{len(weights.weights)} 个处理组城市—年份中有 {weights.n_negative} 个权重为负",
)

# %% [markdown]
# With {glue:text}`never_share`% of the cities never treated, comparisons of pilots with
# never-treated cities carry {glue:text}`clean_weight` of the weight, comparisons that use
# already-treated cities as controls {glue:text}`forbidden_weight`, and
# {glue:text}`negative_weights`. The forbidden comparisons are therefore
# {glue:text}`forbidden_verdict` of a TWFE estimate on this coding. A forbidden
# comparison need not produce a negative weight: later-vs-earlier comparisons enter with
# positive weight and bias the estimate only when the earlier cohort's effect changes
# over time. That does not make it the average effect on the treated:
# TWFE weights even the clean comparisons by the variance of treatment within them, not
# by the number of treated city-years, so with effects that differ by batch it can still
# miss the ATT ({ref}`ch-teaching` decomposes the gap). And the paper shows no event
# study, so whether the pilots trended in parallel before 2014 is untested; the event
# study and the sensitivity analysis of {ref}`ch-modern-did` are what a reader should ask
# of the real data.
#
# **6. Table 4 column (1) changes the effect.** Province-by-year effects move the
# coefficient from {glue:text}`paper_t2` to {glue:text}`paper_t4` in the paper. On this
# panel:

# %% tags=["hide-input"]
table4 = replication.estimate(4, panel)
tables.show(replicate.etable({"Table 2 (7)": results[7], "Table 4 (1)": table4[1]}, keep=["did"]))

# %% tags=["hide-input"]
published2 = paper.published(2).set_index(["column", "variable"])["coef"]
published4 = paper.published(4).set_index(["column", "variable"])["coef"]
did_values = {
    "paper_t2": published2[(7, "did")],
    "paper_t4": published4[(1, "did")],
    "ours_t2": results[7].params["did"],
    "ours_t4": table4[1].params["did"],
}
for name, value in did_values.items():
    glue(name, f"{value:.3f}", display=False)
i18n.glue(
    "province_truth",
    prose.describe_province_truth(results[7], table4[1], panel),
    prose_zh.describe_province_truth(results[7], table4[1], panel),
)

# %% [markdown]
# Here it moves from {glue:text}`ours_t2` to {glue:text}`ours_t4`.
# {glue:text}`province_truth` When the data are the twin, this is the method meeting a
# mechanism built into the data, not evidence about China. On real data a drop like the paper's
# would fit provincial shocks that arrived with the pilots, or spillovers to non-pilot
# cities of the same province ({ref}`ch-robustness` also separates the change of sample
# from the change of fixed effects); either way it questions the baseline rather than
# confirming it.

# %% tags=["hide-input"]
i18n.glue("coverage_sentence", prose.describe_coverage(panel), prose_zh.describe_coverage(panel))

# %% [markdown]
# ## What the modern estimators change
#
# {glue:text}`coverage_sentence`
# The heterogeneity-robust estimators of {ref}`ch-modern-did` (imputation,
# Callaway–Sant'Anna, Sun–Abraham) change which comparisons are used and which average
# of effects is estimated; none of them removes a shock that moves with pilot status and
# is not in the model, which only a comparison within provinces, or a covariate that
# captures the shock, can address. {ref}`ch-teaching` shows, on twins whose effects
# differ by batch and grow over time, how far each estimator's average over twins lands
# from the effect on the treated and which average each one targets. Whether any of
# this matters for the paper depends on data we do not have; the code to find out is in
# this book.
