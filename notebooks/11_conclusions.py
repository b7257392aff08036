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

# %%
import pandas as pd
from myst_nb import glue

from replicate import paper, replication
from replicate.data import code_pilots, load_panel
from replicate.models.staggered import bacon_decomposition, twfe_weights

panel = load_panel(data, reading=reading)
frame = replication.regression_frame(panel)

# %% [markdown]
# ## What replicates and what cannot
#
# - **The design replicates from public sources.** The 285 cities, the three pilot
#   lists and the pilot timing are rebuilt from official announcements
#   ({ref}`ch-data`). The sample size of every table follows, including Table 4
#   column (1)'s 5,022 observations, which only a city list with exactly six
#   single-city provinces and `reghdfe`'s singleton rule produce.
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
# **1. The treated share.** The paper's Table 1 gives a mean of `did` of 0.167; the
# official lists give:

# %%
shares = pd.DataFrame(
    {
        r: {
            "treated cities": len(code_pilots(r).treated),
            "did mean": round(code_pilots(r).treated_share(), 4),
        }
        for r in ("parent", "ignore")
    }
).T
shares["paper"] = paper.TABLE1.loc["did", "mean"]
shares.astype({"treated cities": int})

# %% [markdown]
# Neither reading reproduces 0.167, so the authors' coding of the pilots differs from the
# published lists in a way the paper does not document.
#
# **2. The constants reveal the regressions' units.** With Table 1's means the printed
# constants satisfy ȳ − x̄′b only if `mar` and `fin` enter in percent:

# %%
constants = replication.implied_constants()
constants["gap, Table 1 units"] = (
    constants["printed constant"] - constants["implied, Table 1 units"]
).abs()
constants["gap, percent"] = (
    constants["printed constant"] - constants["implied, mar and fin in percent"]
).abs()
constants[["printed constant", "gap, Table 1 units", "gap, percent", "rounding bound"]].round(3)

# %% [markdown]
# **3. R² = 0.915 in all seven columns of Table 2.** With 285 city and 18 year effects
# the fixed effects carry nearly all the fit; adding weak controls moves R² in the fourth
# decimal. On the twin, with the same structure:

# %%
results = replication.estimate(2, panel)
r2 = pd.Series({f"({c})": r.rsquared for c, r in results.items()}, name="R² on the twin")
glue("r2_range", float(r2.max() - r2.min()), display=False)
r2.round(4).to_frame().T

# %% [markdown]
# The seven R² differ by only {glue:text}`r2_range:.4f` in total, so a table printing
# nearly the same R² in every column is what this structure produces, not in itself a
# sign of an error (the paper's identical 0.915s need differences below 0.0005).
#
# **4. innovp is printed as 0.001 (0.000) with one star.** Scanning every coefficient
# and standard error consistent with that cell (see {ref}`ch-mechanism`):

# %%
bounds = replication.published_indirect_bounds()
glue("sobel_p_low", float(bounds.loc["Sobel p-value", "minimum"]), display=False)
glue("sobel_p_high", float(bounds.loc["Sobel p-value", "maximum"]), display=False)
bounds.round(4)

# %% [markdown]
# The indirect effect through innovation is under 8% of the total, and its Sobel
# p-value lies between {glue:text}`sobel_p_low:.3f` and {glue:text}`sobel_p_high:.3f`:
# by the paper's own numbers, H2's mechanism is not significant at 5%.
#
# **5. Staggered timing and TWFE.** The Goodman-Bacon weights and the de
# Chaisemartin–D'Haultfœuille weights depend only on who is treated when — on the real
# pilot lists, not on the outcome — so these are facts about the paper's design:

# %%
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
bacon = bacon_decomposition(frame, "nqp", **columns).by_type()["weight"]
weights = twfe_weights(frame, "nqp", **columns)
glue("forbidden_weight", float(bacon.loc["Later vs Earlier Treated"]), display=False)
pd.Series(
    {
        "weight of treated vs never-treated comparisons": f"{bacon.loc['Treated vs Untreated']:.4f}",
        "weight of early vs late comparisons": f"{bacon.loc['Earlier vs Later Treated']:.4f}",
        "weight of late vs early (already treated controls)": f"{bacon.loc['Later vs Earlier Treated']:.4f}",
        "negative TWFE weights on treated city-years": f"{weights.n_negative:d} of {len(weights.weights)}",
    }
).to_frame("real pilot timing")

# %% [markdown]
# With most cities never treated and three batches a year apart, comparisons that use
# already-treated cities as controls carry only {glue:text}`forbidden_weight:.3f` of the
# weight and no treated city-year has a negative weight. The paper's TWFE estimate is
# therefore close to a clean comparison with never-treated cities — but the paper shows
# no event study, so whether those cities trended in parallel before 2014 is untested;
# the event study and the sensitivity analysis of {ref}`ch-modern-did` are what a reader
# should ask of the real data.
#
# **6. Table 4 column (1) halves the effect.** Province-by-year effects move the
# coefficient from 0.125 to 0.075 in the paper. On the twin, whose province shocks are
# unrelated to the pilots, the estimate barely moves ({ref}`ch-robustness`). A drop like
# the paper's suggests that pilot cities sat in provinces whose index rose faster for
# other reasons: a threat to the baseline, not a confirmation of it.
#
# ## What the modern estimators change
#
# On the twin with a constant effect, nothing essential: every estimator is centred on
# the truth once the controls that drive the trends are included. With effects that
# differ by batch and grow over time, TWFE drifts away from the truth while the
# imputation, Callaway–Sant'Anna and Sun–Abraham estimators do not ({ref}`ch-teaching`).
# Whether that matters for the paper depends on data we do not have; the code to find
# out is in this book.
