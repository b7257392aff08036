# %% [markdown]
# (ch-modern-did)=
# # What a modern DID analysis adds
#
# The paper estimates one two-way fixed-effects (TWFE) coefficient on a staggered
# design — pilots in 2014, 2015 and 2016 — with no event study and no pre-trend test.
# Since 2018 the literature has shown what such a coefficient averages and how to do
# better {cite}`roth_2023_trending`. This chapter runs those tools on the book's panel:
# an event study with a joint pre-trend test and uniform bands, the Goodman-Bacon
# decomposition, the de Chaisemartin–D'Haultfœuille weights, three heterogeneity-robust
# estimators, a Rambachan–Roth sensitivity analysis, randomization and wild-bootstrap
# inference, and PSM-DID.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore"
controls = ["fdi", "hum", "gov", "lninstra", "mar", "fin"]  # the paper's controls
rescale = {"mar": 100.0, "fin": 100.0}  # regression units; {} keeps your file's units
window = [-6, 6]  # event-study window; endpoints are binned
permutations = 1000  # randomization-inference draws
bootstrap_draws = 9999  # wild cluster bootstrap draws
mbar_values = [0.5, 1.0]  # relative-magnitude bounds (each costs ~13 s on this machine)
m_values = [0.0, 0.01, 0.02, 0.04]  # smoothness bounds (fast)
seed = 20241128  # seed of every random draw in this chapter

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from replicate import fit, replication
from replicate.data import load_panel
from replicate.models.event_study import event_study
from replicate.models.inference import permutation_test, placebo_in_time, wild_cluster_bootstrap
from replicate.models.matching import psm_did
from replicate.models.sensitivity import breakdown, sensitivity
from replicate.models.staggered import (
    bacon_decomposition,
    callaway_santanna,
    imputation,
    sun_abraham,
    twfe_weights,
)
from replicate.report import figures, tables

figures.use_style()
panel = load_panel(data, reading=reading)
frame = replication.regression_frame(panel, rescale)
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
truth = panel.truth
print(panel.summary())

# %% [markdown]
# ## The event study
#
# Instead of one coefficient, an {term}`event study` estimates one per year relative to
# the pilot (the year before is the reference), binning the ends of the window. Coefficients before the
# pilot test {term}`parallel trends`; those after trace the effect over time. The shaded band is
# *uniform*: it covers all coefficients at once with 95% probability, which is what a
# reader looking at the whole picture needs.

# %%
study = event_study(frame, "nqp", **columns, window=tuple(window), controls=controls, seed=seed)
glue("pretrend_F", float(study.pretrend_F), display=False)
glue("pretrend_p", float(study.pretrend_p), display=False)
glue("sup_t", float(study.sup_t), display=False)
study.table.drop(columns="label").round(4)

# %% mystnb={"figure": {"caption": "Event study of the pilot on nqp (TWFE with city and year effects and the paper's controls; clustered by city): pointwise 95% intervals (bars) and the uniform sup-t band (shaded). Dashed: the true effect when the data are the synthetic twin.", "name": "fig-event-study"}, "image": {"alt": "Event study of the pilot on nqp (TWFE with city and year effects and the paper's controls; clustered by city): pointwise 95% intervals (bars) and the uniform sup-t band (shaded). Dashed: the true effect when the data are the synthetic twin."}}
fig = figures.event_study_plot(
    study.table, truth.by_event_time if truth is not None else None, synthetic=panel.synthetic
)

# %% [markdown]
# The joint test that all pre-pilot coefficients are zero gives F = {glue:text}`pretrend_F:.2f`
# (p = {glue:text}`pretrend_p:.3f`); the uniform band uses a critical value of
# {glue:text}`sup_t:.2f` instead of 1.96 ({numref}`fig-event-study`). A pre-trend test
# that does not reject is weak evidence: it may lack power against violations that matter
# {cite}`roth_2023_trending`, which is why the sensitivity analysis below asks how large a
# violation the conclusion survives.
#
# ## What the TWFE coefficient averages
#
# With staggered timing, the TWFE coefficient is a weighted average of every 2×2 DID in
# the data {cite}`goodman_bacon_2021`: pilot versus never-pilot cities, early versus
# later pilots before the later ones start, and — the problematic kind — later pilots
# versus earlier ones that are already treated. The decomposition below is exact for
# the specification without controls.

# %%
bacon = bacon_decomposition(frame, "nqp", **columns)
twfe_plain_fit = fit("nqp ~ did | city_id + year", frame)
twfe_plain = twfe_plain_fit.params["did"]
glue(
    "bacon_forbidden",
    float(bacon.by_type().loc["Later vs Earlier Treated", "weight"]),
    display=False,
)
summary = bacon.by_type()
summary.loc["total (= TWFE)"] = [
    summary["weight"].sum(),
    bacon.estimate,
    summary["comparisons"].sum(),
]
summary.round(4)

# %% mystnb={"figure": {"caption": "Goodman-Bacon decomposition: each 2×2 comparison's DID estimate against its weight in the TWFE coefficient (no controls). The weighted sum is the TWFE estimate.", "name": "fig-bacon"}, "image": {"alt": "Goodman-Bacon decomposition: each 2×2 comparison's DID estimate against its weight in the TWFE coefficient (no controls). The weighted sum is the TWFE estimate."}}
fig = figures.bacon_plot(bacon.comparisons, twfe_plain, synthetic=panel.synthetic)

# %% [markdown]
# Comparisons that use already-treated cities as controls carry a weight of
# {glue:text}`bacon_forbidden:.3f` here ({numref}`fig-bacon`). The design is forgiving:
# most cities are never treated and the three batches are a year apart, so the TWFE
# coefficient is dominated by clean comparisons. de Chaisemartin and D'Haultfœuille
# {cite}`dechaisemartin_2020` ask the same question cell by cell:

# %%
weights = twfe_weights(frame, "nqp", **columns)
pd.Series(
    {
        "treated city-years": len(weights.weights),
        "negative weights": weights.n_negative,
        "sum of negative weights": weights.sum_negative,
        "TWFE coefficient": weights.beta,
        "σ_fe: s.d. of effects that could flip the sign": weights.sigma_fe,
    }
).round(4).astype(object).to_frame("value")

# %% [markdown]
# ## Estimators robust to heterogeneous effects
#
# Three estimators avoid the forbidden comparisons altogether:
# Callaway–Sant'Anna {cite}`callaway_santanna_2021` (each batch against never-treated or
# not-yet-treated cities, then aggregated), Sun–Abraham {cite}`sun_abraham_2021`
# (batch-by-event-time interactions), and the imputation estimator of Borusyak, Jaravel
# and Spiess {cite}`borusyak_2024` (city and year effects fitted on untreated
# city-years only). They are shown without controls, with TWFE beside them.

# %%
cs_never = callaway_santanna(frame, "nqp", **columns, control_group="nevertreated", seed=seed)
cs_notyet = callaway_santanna(frame, "nqp", **columns, control_group="notyettreated", seed=seed)
sa = sun_abraham(frame, "nqp", **columns)
bjs = imputation(frame, "nqp", **columns)
sa_x = sun_abraham(frame, "nqp", **columns, controls=controls)
bjs_x = imputation(frame, "nqp", **columns, controls=controls)
twfe_controls = fit(f"nqp ~ {' + '.join(['did', *controls])} | city_id + year", frame)
rows = {
    "TWFE, no controls": (twfe_plain, twfe_plain_fit.std_errors["did"]),
    "TWFE, paper's controls (Table 2 col. 7)": (
        twfe_controls.params["did"],
        twfe_controls.std_errors["did"],
    ),
    "Callaway–Sant'Anna, never treated (simple)": tuple(cs_never.overall.loc["simple"]),
    "Callaway–Sant'Anna, not yet treated (simple)": tuple(cs_notyet.overall.loc["simple"]),
    "Callaway–Sant'Anna, never treated (event-time average)": tuple(
        cs_never.overall.loc["dynamic"]
    ),
    "Sun–Abraham (event-time average)": (sa.estimate, sa.se),
    "imputation, BJS (all treated city-years)": (bjs.estimate, bjs.se),
    "Sun–Abraham with the paper's controls": (sa_x.estimate, sa_x.se),
    "imputation, BJS, with the paper's controls": (bjs_x.estimate, bjs_x.se),
}
comparison = pd.DataFrame(rows, index=["estimate", "s.e."]).T
cs_aggregations = pd.concat(
    {"never treated": cs_never.overall, "not yet treated": cs_notyet.overall}, axis=1
)
if truth is not None:
    comparison["true effect"] = truth.att
tables.show(
    comparison,
    f"Estimates of the pilot effect — {panel.label}",
    synthetic=panel.synthetic,
    decimals=4,
)

# %% [markdown]
# Callaway–Sant'Anna's four aggregations of the batch-by-year effects: *simple* (every
# post-pilot batch-year, weighted by batch size), *group* (average effect of each batch,
# then averaged), *dynamic* (by years since the pilot, then averaged) and *calendar* (by
# year, then averaged), with both control groups:

# %%
cs_aggregations.round(4)

# %% mystnb={"figure": {"caption": "Effects by years since the pilot: TWFE event study, Callaway–Sant'Anna (never-treated controls), Sun–Abraham and the imputation estimator. Dashed: the true effect when the data are the synthetic twin.", "name": "fig-estimators"}, "image": {"alt": "Effects by years since the pilot: TWFE event study, Callaway–Sant'Anna (never-treated controls), Sun–Abraham and the imputation estimator. Dashed: the true effect when the data are the synthetic twin."}}
effects = {
    "TWFE event study": study.table.loc[study.table.index >= -5, ["coef", "se"]].rename(
        columns={"coef": "estimate"}
    ),
    "Callaway–Sant'Anna": cs_never.aggregations["dynamic"].loc[-5:],
    "Sun–Abraham": sa.by_event.loc[-5:],
    "imputation (BJS)": bjs.by_event,
}
fig = figures.estimator_comparison(
    effects, truth.by_event_time.loc[-1:] if truth is not None else None, synthetic=panel.synthetic
)

# %% [markdown]
# On the default twin the effect is the same for every batch and year, so the
# heterogeneity problems of TWFE do not arise ({numref}`fig-estimators`). What does
# arise is *conditional* parallel trends: in the twin, as the paper's drop from 0.144 to
# 0.125 suggests of its data, the controls of pilot cities trend differently and move the
# outcome, so estimators without controls are pulled upwards and those with the paper's
# controls (TWFE column 7, Sun–Abraham and the imputation estimator with controls) are
# the ones to compare with the truth. Callaway–Sant'Anna conditions on pre-treatment
# covariates only, not on time-varying controls like these. Callaway–Sant'Anna compares each year with a single base
# year (the year before the pilot), so its standard errors are larger than those of TWFE
# and the imputation estimator, which use every pre-pilot year — the price of robustness
# when effects happen to be homogeneous. The teaching chapter switches on heterogeneity to show
# where TWFE parts company with them.
#
# ## How robust is the effect to violations of parallel trends?
#
# Rambachan and Roth {cite}`rambachan_roth_2023` replace "parallel trends hold" by a
# bound: post-pilot violations at most $\bar M$ times the largest pre-pilot one
# (*relative magnitudes*), or a trend whose slope changes by at most $M$ per year
# (*smoothness*). The table gives robust 95% intervals for the effect in the pilot year.

# %%
rm = sensitivity(study, "relative_magnitude", mbar_values, grid_points=200)
sd = sensitivity(study, "smoothness", m_values)
glue("rm_breakdown", float(breakdown(rm)), display=False)
glue("sd_breakdown", float(breakdown(sd)), display=False)
pd.concat(
    {"relative magnitudes (M̄)": rm[["lower", "upper"]], "smoothness (M)": sd[["lower", "upper"]]}
).round(4)

# %% mystnb={"figure": {"caption": "Rambachan–Roth robust 95% confidence intervals for the pilot-year effect under relative-magnitude bounds (left) and smoothness bounds (right); the leftmost interval in each panel is the conventional one.", "name": "fig-honestdid"}, "image": {"alt": "Rambachan–Roth robust 95% confidence intervals for the pilot-year effect under relative-magnitude bounds (left) and smoothness bounds (right); the leftmost interval in each panel is the conventional one."}}
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), sharey=True)
original = rm.attrs["original"]
for ax, table, name in ((axes[0], rm, "M̄"), (axes[1], sd, "M")):
    positions = np.arange(len(table) + 1)
    lows = [original[0], *table["lower"]]
    highs = [original[1], *table["upper"]]
    ax.vlines(positions, lows, highs, color="#1b6ca8", lw=3)
    ax.set_xticks(positions, ["original", *[f"{v:g}" for v in table.index]])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(name)
axes[0].set_ylabel("effect in the pilot year")
figures.synthetic_note(fig, panel.synthetic)

# %% [markdown]
# The effect stays significant up to $\bar M$ = {glue:text}`rm_breakdown` and
# $M$ = {glue:text}`sd_breakdown` on these grids (a missing value means it never does)
# ({numref}`fig-honestdid`).
#
# ## Inference that does not rest on asymptotics
#
# **{term}`Randomization inference`.** Reassign the pilot histories — which city got which
# batch — at random across the 285 cities, keeping the batch sizes, and re-estimate
# the baseline each time. The share of placebo estimates as large as the real one is
# an exact p-value for the sharp null of no effect anywhere.

# %%
ri = permutation_test(
    frame, "nqp", **columns, controls=controls, draws=permutations, seed=seed, progress=True
)
glue("ri_p", float(ri.pvalue), display=False)
ri.table().to_frame("value")

# %% mystnb={"figure": {"caption": "Randomization inference: TWFE estimates (baseline with controls) after reassigning the pilot histories across cities at random, keeping the batch sizes; the red line is the estimate with the real assignment.", "name": "fig-permutation"}, "image": {"alt": "Randomization inference: TWFE estimates (baseline with controls) after reassigning the pilot histories across cities at random, keeping the batch sizes; the red line is the estimate with the real assignment."}}
fig, ax = plt.subplots()
ax.hist(ri.draws, bins=40, color="#7f8c8d")
ax.axvline(ri.estimate, color="#b03a2e", lw=2, label=f"real assignment {ri.estimate:.3f}")
ax.set_xlabel("placebo estimate")
ax.set_ylabel("permutations")
legend = ax.legend()
figures.synthetic_note(fig, panel.synthetic)

# %% [markdown]
# **Placebo in time.** Pretend each pilot city was treated some years early and use only
# the years before any real pilot (2005–2013): a real effect cannot show up there.

# %%
pd.Series(
    {
        f"pilots moved {k} years earlier": placebo_in_time(
            frame, "nqp", **columns, shift=k, controls=controls
        ).estimate
        for k in (2, 3, 4, 5)
    },
    name="placebo estimate",
).round(4).to_frame()

# %% [markdown]
# **{term}`Wild cluster bootstrap`.** The restricted wild bootstrap {cite}`cameron_gelbach_miller_2008`
# redraws the residuals city by city with random signs (Rademacher) or six-point (Webb)
# weights under the null of no effect, a refinement that matters with few or unequal
# clusters — for instance when clustering by province.

# %%
boot = {
    w: wild_cluster_bootstrap(
        frame, "nqp", **columns, controls=controls, draws=bootstrap_draws, weights=w, seed=seed
    )
    for w in ("rademacher", "webb")
}
clustered = twfe_controls.conf_int().loc["did"]
pd.DataFrame(
    {
        "cluster-robust t": (twfe_controls.pvalues["did"], clustered["lower"], clustered["upper"]),
        **{f"wild bootstrap ({w})": (b.pvalue, *b.conf_int()) for w, b in boot.items()},
    },
    index=["p-value", "95% CI lower", "95% CI upper"],
).T.round(4)

# %% [markdown]
# ## PSM-DID
#
# Chinese applied work on pilot policies often matches pilot cities ({term}`propensity
# score matching`) to similar
# non-pilot cities before the DID. Scores come from a logit of pilot status on the
# controls' pre-2014 means; matching is on the logit of the score.

# %%
psm = {
    m: psm_did(frame, "nqp", **columns, match_on=controls, controls=controls, method=m)
    for m in ("nearest", "kernel")
}
pd.DataFrame(
    {
        m: {
            "pilot cities matched": f"{r.n_treated_matched} of {r.n_treated}",
            "controls used": r.n_controls_used,
            "DID estimate": round(r.did.params["did"], 4),
            "s.e.": round(r.did.std_errors["did"], 4),
        }
        for m, r in psm.items()
    }
).T

# %%
psm["nearest"].balance.round(3)

# %% [markdown]
# Matching improves balance on the pre-pilot covariates (standardized differences near
# zero after matching). It does not make the design more credible by itself: DID already
# removes fixed differences between cities, and matching on levels can even select
# controls on transitory shocks. It is a robustness check, not a fix for non-parallel
# trends.
