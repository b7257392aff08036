# %% [markdown]
# (ch-teaching)=
# # Teaching DID with a known truth
#
# The synthetic twin knows the true effect of the pilot in every city and year. This
# chapter uses its knobs to show *when* the paper's estimator — {term}`two-way fixed
# effects` — misleads with {term}`staggered adoption`, and
# how the heterogeneity-robust estimators of {ref}`ch-modern-did` recover the truth.
# Change the parameters (or run `replicate run 10 -p dynamic_slope 0.1`) and watch what
# moves. Everything here is **synthetic by design**.

# %% tags=["parameters"]
data = "synthetic"  # unused: this chapter always simulates
seed = 7  # seed of the one-draw example
cohort_effects = {2014: 0.30, 2015: 0.15, 2016: 0.00}  # direct effect on nqp per batch
dynamic_slope = 0.04  # extra effect per year since the pilot
anticipation = 0  # years the effect starts before the pilot
pretrend = 0.0  # extra yearly growth of pilot cities before their pilot
conditional_trends = False  # True: controls drive the trends, as in the default twin
monte_carlo_draws = 20  # twins per estimator in the Monte Carlo

# %%
import pandas as pd

from replicate import montecarlo
from replicate.data import synthetic
from replicate.models import TWFE
from replicate.models.event_study import event_study
from replicate.models.staggered import (
    bacon_decomposition,
    callaway_santanna,
    imputation,
    sun_abraham,
)
from replicate.replication import regression_frame
from replicate.report import figures, tables

figures.use_style()
knobs = synthetic.Knobs(
    cohort_effects=cohort_effects,
    dynamic_slope=dynamic_slope,
    anticipation=anticipation,
    pretrend=pretrend,
    conditional_trends=conditional_trends,
)
twin = synthetic.make_twin(seed=seed, knobs=knobs)
panel = twin.panel()
frame = regression_frame(panel)
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
truth = twin.truth
pd.DataFrame({"true ATT by batch": truth.by_cohort}).T.round(4)

# %% [markdown]
# Early pilots have larger effects, and every effect grows with time: exactly the
# {term}`heterogeneous treatment effects` that make staggered TWFE go wrong. The controls
# are switched off in the outcome (`conditional_trends = False`), so parallel trends
# hold without them and every difference below comes from heterogeneity alone.
#
# ## One draw: estimates against the truth

# %%
estimates = {
    "TWFE (the paper's estimator)": TWFE(frame, "nqp", ["did"]).fit().params["did"],
    "Callaway–Sant'Anna (simple)": callaway_santanna(
        frame, "nqp", **columns, seed=seed
    ).overall.loc["simple", "estimate"],
    "Sun–Abraham (event-time average)": sun_abraham(frame, "nqp", **columns).estimate,
    "imputation, BJS": imputation(frame, "nqp", **columns).estimate,
}
result = pd.DataFrame({"estimate": estimates})
result["true ATT (treated city-years)"] = truth.att
result["error"] = result["estimate"] - truth.att
tables.show(
    result, "One synthetic draw with heterogeneous, growing effects", synthetic=True, decimals=4
)

# %% [markdown]
# The estimators target slightly different averages — the imputation estimator weights
# every treated city-year equally, which is the ATT shown; Callaway–Sant'Anna's simple
# aggregation weights batches by size; the event-time average weights each year since
# the pilot equally — but only TWFE is pulled away by the {term}`forbidden
# comparison`s. The decomposition shows where:

# %%
bacon = bacon_decomposition(frame, "nqp", **columns)
bacon.by_type().round(4)

# %% [markdown]
# When the 2014 batch's effect keeps growing, using it as a "control" for the 2016
# batch subtracts that growth from the later batch's change: the late-vs-early
# comparisons are biased downwards, and they carry weight in TWFE.
#
# ## Many draws
#
# One draw mixes bias with noise. Repeating the experiment separates them.

# %%
# The multiverse runner, here in this process; `replicate montecarlo --draws 1000
# --cohort-effects 2014:0.3,2015:0.15,2016:0 --dynamic-slope 0.04 --no-conditional-trends
# --estimators twfe,imputation,sun_abraham` runs the same draws (seeds from the design's
# hash) on a Dask cluster.
design = montecarlo.Design(
    {
        "cohort_effects": cohort_effects,
        "dynamic_slope": dynamic_slope,
        "anticipation": anticipation,
        "pretrend": pretrend,
        "conditional_trends": conditional_trends,
    },
    estimators=("twfe", "imputation", "sun_abraham"),
)
draws, _ = montecarlo.run(design, monte_carlo_draws)
summary = montecarlo.summarise(draws)
summary["bias / Monte Carlo s.e."] = summary["bias"] / summary["bias MC s.e."]
summary[
    ["draws", "truth (ATT)", "mean estimate", "bias", "bias MC s.e.", "bias / Monte Carlo s.e."]
    + ["coverage", "coverage MC s.e."]
].round(4)

# %% [markdown]
# (Sun–Abraham's event-time average is a different estimand — each year since the pilot
# counts equally — so its distance from the city-year ATT is not a bias.)
#
# ## The event study with a known truth

# %% mystnb={"figure": {"caption": "TWFE event study on a synthetic twin with batch-specific, growing effects, against the true average effect by years since the pilot (dashed). SYNTHETIC data.", "name": "fig-teaching-event-study"}, "image": {"alt": "TWFE event study on a synthetic twin with batch-specific, growing effects, against the true average effect by years since the pilot (dashed)"}}
study = event_study(frame, "nqp", **columns, window=(-6, 6), seed=seed)
fig = figures.event_study_plot(study.table, truth.by_event_time, synthetic=True)

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ex-homogeneous
# Set `cohort_effects = {2014: 0.12, 2015: 0.12, 2016: 0.12}` and `dynamic_slope = 0`.
# Which estimators are unbiased now, and what happens to the late-vs-early comparisons in
# the Goodman-Bacon table?
# :::
#
# :::{solution} ex-homogeneous
# :class: dropdown
# All of them. With a constant effect the already-treated batches are valid controls
# (their outcome moves in parallel once treated), so every 2×2 comparison estimates the
# same effect and the weighted average is unbiased. The late-vs-early estimates scatter
# around the truth instead of below it.
# :::
#
# :::{exercise}
# :label: ex-anticipation
# Set `anticipation = 1`. Which event-study coefficient is affected, and why does the
# whole profile shift?
# :::
#
# :::{solution} ex-anticipation
# :class: dropdown
# The effect now starts in year −1, which is the reference year. Every coefficient is
# measured relative to a contaminated baseline, so the post-pilot effects are understated
# by the anticipated effect and the pre-pilot coefficients drop below zero at −2 and
# earlier. The fix is to choose an earlier reference year (−2) or model anticipation.
# :::
#
# :::{exercise}
# :label: ex-pretrend
# Set `pretrend = 0.02` (pilot cities growing 0.02 per year faster before their pilot).
# Does the joint pre-trend test reject? Try `0.005`. What does this say about reading a
# non-rejection as evidence for {term}`parallel trends`?
# :::
#
# :::{solution} ex-pretrend
# :class: dropdown
# At 0.02 per year the pre-period coefficients trend clearly and the F test rejects. At
# 0.005 it usually does not, yet the violation accumulates to several hundredths by the
# end of the sample — comparable to the effect itself. A pre-test has limited power, which
# is why the {term}`sensitivity analysis` asks how
# large a violation the conclusion survives instead.
# :::
#
# :::{exercise}
# :label: ex-conditional
# Set `conditional_trends = True` (the book's default twin). Now the controls move the
# outcome and trend with pilot status. What happens to the estimators run without
# controls, and why can TWFE look *less* biased than before?
# :::
#
# :::{solution} ex-conditional
# :class: dropdown
# Parallel trends now hold only conditional on the controls, so every estimator without
# them picks up the pilot cities' faster-moving controls — an upward bias. For TWFE it
# partly offsets the downward heterogeneity bias, so it can land near the truth for the
# wrong reason. Add the controls (`TWFE(..., ["did", *controls])`, `imputation(...,
# controls=controls)`) to remove the confounding.
# :::
#
# :::{exercise}
# :label: ex-monte-carlo
# Increase `monte_carlo_draws` to 100. Does the TWFE bias change? Does its Monte Carlo
# standard error?
# :::
#
# :::{solution} ex-monte-carlo
# :class: dropdown
# The bias stays (it is a property of the estimator under this data-generating process);
# its Monte Carlo standard error shrinks like one over the square root of the draws, so
# the bias becomes unmistakable relative to it.
# :::
