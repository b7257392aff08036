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
# estimators, controls measured before the pilot, a Rambachan–Roth sensitivity analysis,
# randomization and wild-bootstrap inference, and PSM-DID.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore"
controls = None  # None: the paper's six (schema.CONTROLS); or e.g. ["fdi", "hum"]
rescale = None  # None: mar and fin in percent (schema.REGRESSION_SCALE); {} keeps your units
window = [-6, 6]  # event-study window; endpoints are binned
permutations = 1000  # randomization-inference draws
strata = "province"  # column within which the stratified permutation reassigns pilots
bootstrap_draws = 9999  # wild cluster bootstrap draws
coarse_cluster = "province"  # the coarser clustering level of the wild bootstrap
mbar_values = [0.5, 1.0, 2.0]  # relative-magnitude bounds M̄
m_values = [0.0, 0.01, 0.02, 0.04]  # smoothness bounds M
rm_method = "Conditional"  # HonestDiD test for M̄: "Conditional" (fast) or "C-LF" (its default)
honest_grid = 500  # grid points of the HonestDiD test inversion
seed = 20241128  # seed of every random draw (the book's seed, synthetic.DEFAULT_SEED)

# %% tags=["hide-input"]
import numpy as np
import pandas as pd
from myst_nb import glue

from replicate import fit, replication
from replicate.data import load_panel
from replicate.models.compare import compare_estimators, interval, relative_size
from replicate.models.event_study import event_study
from replicate.models.inference import permutation_test, placebo_in_time, wild_cluster_bootstrap
from replicate.models.matching import BALANCE_THRESHOLD, psm_did
from replicate.models.sensitivity import describe_breakdown, sensitivity
from replicate.models.staggered import bacon_decomposition, sun_abraham, twfe_weights
from replicate.report import figures, tables

figures.use_style()
panel = load_panel(data, reading=reading)
options = replication.options_from(globals())  # the parameters above, defaults resolved
controls = options["controls"]
frame = replication.regression_frame(panel, options["rescale"])
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
truth = panel.truth  # None unless the panel is the synthetic twin
glue("panel_label", tables.data_label(panel), display=False)
print(panel.summary())

# %% [markdown]
# Every number below is computed on {glue:text}`panel_label`; on the synthetic twin it
# describes the twin, not China.
#
# ## The event study
#
# Instead of one coefficient, an {term}`event study` estimates one per year relative to
# the pilot (the year before is the reference), binning the ends of the window. The
# coefficients before the pilot *test for pre-trends*; those after trace the effect over
# time. The shaded band is *uniform*: it covers all coefficients at once with 95%
# probability, which is what a reader looking at the whole picture needs.

# %%
study = event_study(frame, "nqp", **columns, window=tuple(window), controls=controls, seed=seed)
tables.show(
    tables.labelled(study.table.drop(columns="label"), panel),
    "Event study of the pilot on nqp (TWFE, city and year effects, controls; clustered by city)",
    decimals=3,
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Event study of the pilot on nqp (TWFE with city and year effects and the chapter's controls; clustered by city): pointwise 95% intervals (bars) and the uniform sup-t band (shaded). Dashed: the true effect when the data are the synthetic twin.", "name": "fig-event-study"}, "image": {"alt": "Event study of the pilot on nqp with pointwise intervals, a uniform band and, on the twin, the true effect"}}
fig = figures.event_study_plot(study.table, truth.by_event_time if truth is not None else None)
fig = figures.label(fig, panel)

# %% tags=["hide-input"]
glue("pretrend_F", tables.number(study.pretrend_F, 2), display=False)
glue("pretrend_p", tables.p_value(study.pretrend_p), display=False)
glue("pretrend_df", "{}, {}".format(*study.pretrend_df), display=False)
glue("pretrend_verdict", "rejects" if study.pretrend_p < 0.05 else "does not reject", display=False)
glue("sup_t", tables.number(study.sup_t, 2), display=False)

# %% [markdown]
# The joint test that all pre-pilot coefficients are zero gives
# F({glue:text}`pretrend_df`) = {glue:text}`pretrend_F` (p {glue:text}`pretrend_p`): at 5%
# it {glue:text}`pretrend_verdict` the absence of pre-trends. The uniform band uses a
# critical value of {glue:text}`sup_t` instead of 1.96 ({numref}`fig-event-study`).
#
# A test that does not reject does not prove {term}`parallel trends`. It may lack power
# against violations that matter {cite}`roth_2023_trending`, and estimates reported
# *because* a pre-test passed are biased towards the violations the test cannot see
# {cite}`roth_2022_pretest`. The leads of a TWFE event study have a further problem
# when effects differ across batches: each lead is contaminated by the effects of other
# batches and event times {cite}`sun_abraham_2021`, so a TWFE lead can be non-zero
# without any pre-trend, or zero despite one. Sun and Abraham's estimator compares each
# batch only with never-treated cities and has clean leads; here they are side by side:

# %%
sa_leads = sun_abraham(frame, "nqp", **columns, controls=controls)

# %% tags=["hide-input"]
leads = list(range(max(window[0] + 1, -5), -1))  # unbinned TWFE leads
lead_table = tables.labelled(
    study.table.loc[leads, ["coef", "se"]]
    .set_axis(["TWFE estimate", "TWFE s.e."], axis=1)
    .join(
        sa_leads.by_event.loc[leads].set_axis(["Sun–Abraham estimate", "Sun–Abraham s.e."], axis=1)
    )
    .rename_axis("years since the pilot"),
    panel,
)
gap = (lead_table["TWFE estimate"] - lead_table["Sun–Abraham estimate"]).abs()
glue("lead_gap", tables.number(gap.max(), 3), display=False)
glue("lead_gap_se", tables.number(gap.max() / lead_table["TWFE s.e."].mean(), 2), display=False)
tables.show(
    lead_table, "Leads (pre-pilot coefficients): TWFE event study and Sun–Abraham", decimals=3
)

# %% [markdown]
# The largest gap between a TWFE lead and its Sun–Abraham counterpart is
# {glue:text}`lead_gap` ({glue:text}`lead_gap_se` TWFE standard errors).
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

# %% tags=["hide-input"]
summary = bacon.by_type()
summary.loc["total (= TWFE)"] = [
    summary["weight"].sum(),
    bacon.estimate,
    summary["comparisons"].sum(),
]
forbidden = summary["weight"].get("Later vs Earlier Treated", 0.0)
glue("bacon_forbidden", tables.number(forbidden, 3), display=False)
glue(
    "bacon_clean",
    tables.number(summary["weight"].get("Treated vs Untreated", 0.0), 3),
    display=False,
)
glue("n_never", int((frame.groupby("city_id")["g"].first() == 0).sum()), display=False)
glue("n_cities", int(frame["city_id"].nunique()), display=False)
tables.show(
    tables.labelled(summary, panel), "Goodman-Bacon decomposition of TWFE (no controls)", decimals=3
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Goodman-Bacon decomposition: each 2×2 comparison's DID estimate against its weight in the TWFE coefficient (no controls). The weighted sum is the TWFE estimate.", "name": "fig-bacon"}, "image": {"alt": "Scatter of 2×2 DID estimates against their weights in the TWFE coefficient, by comparison type"}}
fig = figures.label(figures.bacon_plot(bacon.comparisons, bacon.estimate), panel)

# %% [markdown]
# Comparisons that use already-treated cities as controls carry a weight of
# {glue:text}`bacon_forbidden` here, and pilot-versus-never-pilot comparisons
# {glue:text}`bacon_clean` ({numref}`fig-bacon`): {glue:text}`n_never` of the
# {glue:text}`n_cities` cities are never treated and the three batches are a year apart.
# de Chaisemartin and D'Haultfœuille {cite}`dechaisemartin_2020` ask the same question
# cell by cell:

# %%
weights = twfe_weights(frame, "nqp", **columns)

# %% tags=["hide-input"]
tables.show(
    tables.labelled(
        pd.Series(
            {
                "treated city-years": len(weights.weights),
                "negative weights": weights.n_negative,
                "sum of negative weights": weights.sum_negative,
                "TWFE coefficient": weights.beta,
                "σ_fe: s.d. of effects that could flip the sign": weights.sigma_fe,
            },
            dtype=object,
        ).to_frame("value"),
        panel,
    ),
    "de Chaisemartin–D'Haultfœuille weights of the TWFE coefficient (no controls)",
    decimals=3,
)

# %% [markdown]
# ## Estimators robust to heterogeneous effects
#
# Three estimators avoid the forbidden comparisons altogether:
# Callaway–Sant'Anna {cite}`callaway_santanna_2021` (each batch against never-treated or
# not-yet-treated cities, then aggregated), Sun–Abraham {cite}`sun_abraham_2021`
# (batch-by-event-time interactions), and the imputation estimator of Borusyak, Jaravel
# and Spiess {cite}`borusyak_2024` (city and year effects fitted on untreated
# city-years only). One call runs them all, without covariates, with the paper's
# time-varying controls, and with the controls' pre-pilot means (next section):

# %%
comparison = compare_estimators(
    frame,
    "nqp",
    **columns,
    controls=controls,
    covariates=("none", "time-varying", "baseline"),
    seed=seed,
    truth=truth,
)
estimates = comparison.tidy().set_index(["estimator", "covariates", "comparison"])
shown = comparison.table()  # estimate, s.e., 95% CI as "[lower, upper]", true effect
tables.show(
    tables.labelled(shown.query("covariates != 'baseline'"), panel),
    "Estimates of the pilot effect, without covariates and with the paper's controls",
    decimals=3,
)

# %% tags=["hide-input"]
cs = comparison.result("callaway_santanna")
twfe_se = estimates.loc[("TWFE", "none", "every city-year"), "std_error"]
bjs_se = estimates.loc[("imputation (BJS)", "none", "not yet treated"), "std_error"]
glue("cs_se", tables.number(cs.se, 3), display=False)
glue("twfe_se", tables.number(twfe_se, 3), display=False)
glue("bjs_se", tables.number(bjs_se, 3), display=False)
glue("cs_vs_twfe", relative_size(cs.se, twfe_se), display=False)
glue("cs_vs_bjs", relative_size(cs.se, bjs_se), display=False)
twfe_none = estimates.loc[("TWFE", "none", "every city-year"), "estimate"]
twfe_tv = estimates.loc[("TWFE", "time-varying", "every city-year"), "estimate"]
glue("twfe_none", tables.number(twfe_none, 3), display=False)
glue("twfe_tv", tables.number(twfe_tv, 3), display=False)
glue(
    "twfe_tv_se",
    tables.number(estimates.loc[("TWFE", "time-varying", "every city-year"), "std_error"], 3),
    display=False,
)
glue("es_avg_se", tables.number(study.se, 3), display=False)
if truth is None:
    truth_sentence = (
        "On this panel the true effect is unknown (only the synthetic twin carries its truth)."
    )
else:
    constant = max(np.ptp(truth.by_event_time.loc[0:]), np.ptp(truth.by_cohort)) < 1e-9
    truth_sentence = (
        f"On the twin the true effect is {tables.number(truth.att, 3)} on average, "
        + (
            "the same for every batch and year, so the heterogeneity problems of TWFE do not arise."
            if constant
            else "and it differs across batches or years, so TWFE's weighting matters."
        )
    )
glue("truth_sentence", truth_sentence, display=False)

# %% [markdown]
# Callaway–Sant'Anna's standard error ({glue:text}`cs_se`, never-treated comparison,
# simple aggregation) is {glue:text}`cs_vs_twfe` TWFE's ({glue:text}`twfe_se`) and
# {glue:text}`cs_vs_bjs` the imputation estimator's ({glue:text}`bjs_se`), all without
# covariates ("about the same" means within 10%). Where it is larger, the reason is its
# design: each post-pilot year is compared with a single base year (the year before the
# pilot), while TWFE and the imputation estimator use every pre-pilot year — the price
# of robustness when effects happen to be homogeneous. {glue:text}`truth_sentence`
# TWFE moves from {glue:text}`twfe_none` without controls to {glue:text}`twfe_tv` with
# the paper's controls; {numref}`fig-estimators` shows the four estimators' effects by
# years since the pilot. The teaching chapter switches on heterogeneity to show where
# TWFE parts company with the others.
#
# Callaway–Sant'Anna's four aggregations of the batch-by-year effects: *simple* (every
# post-pilot batch-year, weighted by batch size), *group* (average effect of each batch,
# then averaged), *dynamic* (by years since the pilot, then averaged) and *calendar* (by
# year, then averaged), with both control groups:

# %% tags=["hide-input"]
cs_aggregations = pd.concat(
    {
        "never treated": cs.overall,
        "not yet treated": comparison.result(
            "callaway_santanna", "none", "not yet treated"
        ).overall,
    },
    axis=1,
)
cs_aggregations.columns = [
    f"{'s.e.' if stat == 'se' else stat} ({group.removesuffix(' treated')})"
    for group, stat in cs_aggregations.columns
]
tables.show(
    tables.labelled(cs_aggregations, panel),
    "Callaway–Sant'Anna aggregations: estimate and s.e. with never-treated (never) and "
    "not-yet-treated (not yet) cities as controls",
    decimals=3,
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Effects by years since the pilot: TWFE event study, Callaway–Sant'Anna (never-treated controls), Sun–Abraham and the imputation estimator, without covariates except the event study. Dashed: the true effect when the data are the synthetic twin.", "name": "fig-estimators"}, "image": {"alt": "Event-time effects of four estimators side by side, with the twin's true effect"}}
effects = {
    "TWFE event study": study.table.loc[study.table.index >= -5, ["coef", "se"]].rename(
        columns={"coef": "estimate"}
    ),
    "Callaway–Sant'Anna": cs.aggregations["dynamic"].loc[-5:],
    "Sun–Abraham": comparison.result("sun_abraham").by_event.loc[-5:],
    "imputation (BJS)": comparison.result("imputation", "none", "not yet treated").by_event,
}
fig = figures.estimator_comparison(
    effects, truth.by_event_time.loc[-1:] if truth is not None else None
)
fig = figures.label(fig, panel)

# %% [markdown]
# ## Controls the pilot may move
#
# The paper's controls are measured every year, after the pilot as well as before.
# Broadband can itself move some of them — foreign investment (`fdi`), marketization
# (`mar`), financial development (`fin`) — and conditioning on an outcome of the
# treatment is a *bad control* {cite}`angrist_pischke_2009`: it can remove part of the
# effect or add a bias. The remedy is to use the controls' values *before* the pilot.
# The table uses each city's mean over {glue:text}`baseline_years`, in TWFE, Sun–Abraham
# and the imputation estimator interacted with year effects (so cities with different
# baselines may follow different trends: `nqp ~ did + C(year):fdi_pre + … | city_id +
# year`), and as the covariates of a doubly robust Callaway–Sant'Anna
# (`est_method="dr"`, the default).

# %% tags=["hide-input"]
first_pilot = int(frame.loc[frame["g"] > 0, "g"].min())
glue("baseline_years", f"{int(frame['year'].min())}–{first_pilot - 1}", display=False)
tables.show(
    tables.labelled(shown.query("covariates != 'none'"), panel),
    "Time-varying controls against their pre-pilot means",
    decimals=3,
)

# %% tags=["hide-input"]
twfe_base = estimates.loc[("TWFE", "baseline", "every city-year")]
cs_base = estimates.loc[("Callaway–Sant'Anna", "baseline", "never treated")]
glue("twfe_base", tables.number(twfe_base["estimate"], 3), display=False)
glue("cs_base", tables.number(cs_base["estimate"], 3), display=False)
glue(
    "cs_base_ci",
    "[{}, {}]".format(*(tables.number(v, 3) for v in cs_base[["conf_low", "conf_high"]])),
    display=False,
)
if truth is None:
    closer = "The true effect of this panel is unknown, so only the gap can be read."
else:
    gaps = {
        "time-varying": abs(twfe_tv - truth.att),
        "pre-pilot": abs(twfe_base["estimate"] - truth.att),
    }
    best = min(gaps, key=gaps.get)
    closer = (
        f"On the twin, whose true effect is {tables.number(truth.att, 3)}, the TWFE estimate "
        f"with {best} controls is the closer one (off by {tables.number(gaps[best], 3)})."
    )
    off = (estimates["estimate"] - estimates["true_effect"]).abs()
    estimator, covariates, _ = off.idxmin()
    closer += (
        f" Of every estimate in the two tables, {estimator} with "
        f"{'no' if covariates == 'none' else covariates} covariates comes closest "
        f"(off by {tables.number(off.min(), 3)}) — in one draw of the twin, which says "
        "little about bias (a Monte Carlo over many twins measures it; the teaching chapter runs one)."
    )
glue("closer_sentence", closer, display=False)

# %% [markdown]
# With pre-pilot covariates TWFE gives {glue:text}`twfe_base` (with time-varying controls
# {glue:text}`twfe_tv`), and the doubly robust Callaway–Sant'Anna
# {glue:text}`cs_base` (95% interval {glue:text}`cs_base_ci`). {glue:text}`closer_sentence`
#
# ## How robust is the effect to violations of parallel trends?
#
# Rambachan and Roth {cite}`rambachan_roth_2023` replace "parallel trends hold" by a
# bound: post-pilot violations at most $\bar M$ times the largest pre-pilot one
# (*relative magnitudes*), or a trend whose slope changes by at most $M$ per year
# (*smoothness*). The table gives robust 95% intervals for two targets: the **average
# effect over the post-pilot years** (the event study's summary, the effect a policy
# reader asks about) and the effect in the pilot year. For relative magnitudes it uses
# the conditional test (`rm_method`; HonestDiD's default hybrid "C-LF" can be somewhat
# shorter and costs about fifty times more here).

# %%
honest = {
    target: {
        "relative magnitudes (M̄)": sensitivity(
            study,
            "relative_magnitude",
            mbar_values,
            target=target,
            method=rm_method,
            grid_points=honest_grid,
        ),
        "smoothness (M)": sensitivity(study, "smoothness", m_values, target=target),
    }
    for target in ("average", "first")
}

# %% tags=["hide-input"]
names = {"average": "average post-pilot effect", "first": "pilot-year effect"}
blocks = {}
for target, tables_by_kind in honest.items():
    conventional = tables_by_kind["smoothness (M)"].attrs["original"]
    rows = [("conventional (parallel trends)", "", interval(*conventional))]
    for kind, table in tables_by_kind.items():
        rows += [
            (kind, f"{value:g}", interval(row.lower, row.upper)) for value, row in table.iterrows()
        ]
    blocks[names[target]] = pd.DataFrame(
        rows, columns=["restriction", "bound", "interval"]
    ).set_index(["restriction", "bound"])["interval"]
tables.show(
    tables.labelled(pd.concat(blocks, axis=1), panel),
    "Rambachan–Roth robust 95% intervals [lower, upper] of two targets",
    decimals=3,
)

# %% tags=["hide-input"]
for target in ("average", "first"):
    glue(
        f"{target}_est",
        tables.number(study.estimate if target == "average" else study.betahat[study.n_pre], 3),
        display=False,
    )
    glue(
        f"{target}_ci",
        "[{}, {}]".format(
            *(tables.number(v, 3) for v in honest[target]["smoothness (M)"].attrs["original"])
        ),
        display=False,
    )
    glue(
        f"{target}_rm_breakdown",
        describe_breakdown(honest[target]["relative magnitudes (M̄)"], "M̄"),
        display=False,
    )
    glue(
        f"{target}_sd_breakdown",
        describe_breakdown(honest[target]["smoothness (M)"], "M"),
        display=False,
    )

# %% [markdown]
# The average post-pilot effect is {glue:text}`average_est` with a conventional 95%
# interval {glue:text}`average_ci`; the breakdown value — the largest bound under which
# the robust interval still excludes zero — is, for relative magnitudes,
# {glue:text}`average_rm_breakdown`, and for smoothness, {glue:text}`average_sd_breakdown`.
# The pilot-year effect is {glue:text}`first_est` ({glue:text}`first_ci`); its breakdown
# values are {glue:text}`first_rm_breakdown` and {glue:text}`first_sd_breakdown`. The
# event study's average has a standard error of {glue:text}`es_avg_se`, against
# {glue:text}`twfe_tv_se` for the single TWFE coefficient with the same controls: each
# event-study coefficient is measured against the one year before the pilot, the TWFE
# coefficient against all pre-pilot years, so the event study is the less precise
# summary before any sensitivity bound is applied.
#
# ## Inference that does not rest on asymptotics
#
# **{term}`Randomization inference`.** Reassign the pilot histories — which city got which
# batch — at random, keeping the batch sizes, and re-estimate the baseline each time.
# The placebo estimates form the distribution of the coefficient under the sharp null
# of no effect in any city *and a stated assignment mechanism*. Drawn completely at
# random among all {glue:text}`n_cities` cities, the share of placebo estimates as large
# as the real one is a p-value only if the pilots could have gone to any city with equal
# probability. They could not: cities applied to become pilots and were selected, and
# pilot cities differ from the others before the pilot (see the balance table of the
# PSM section). Permuting *within provinces* keeps each province's number of pilot
# cities, an assignment closer to how pilots were chosen. Both are shown:

# %%
ri = {
    "completely at random": permutation_test(
        frame, "nqp", **columns, controls=controls, draws=permutations, seed=seed
    ),
    f"within {strata}": permutation_test(
        frame, "nqp", **columns, controls=controls, draws=permutations, seed=seed, strata=strata
    ),
}

# %% tags=["hide-input"]
ri_table = pd.DataFrame(
    {
        name: {
            "estimate": r.estimate,
            "placebo s.d.": r.se,
            "p-value": tables.p_value(r.pvalue).removeprefix("= "),
            "95% CI": interval(*r.conf_int()),
            "permutations": r.n_draws,
        }
        for name, r in ri.items()
    }
).T.rename_axis("assignment")
tables.show(
    tables.labelled(ri_table, panel),
    "Randomization inference on the baseline TWFE coefficient (placebo s.d.: standard "
    "deviation of the placebo estimates; 95% CI from inverting the test)",
    decimals=3,
)

# %% tags=["hide-input"]
free, stratified = ri.values()
glue("ri_p", tables.p_value(free.pvalue), display=False)
glue("ri_p_strata", tables.p_value(stratified.pvalue), display=False)
glue("ri_sd_ratio", tables.number(stratified.se / free.se, 2), display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Randomization inference: TWFE estimates (baseline with controls) after reassigning the pilot histories across all cities completely at random, keeping the batch sizes; the solid line is the estimate with the real assignment, the dashed lines the 95% interval from inverting the test.", "name": "fig-permutation"}, "image": {"alt": "Histogram of placebo TWFE estimates under random reassignment of pilots, with the real estimate marked"}}
fig = figures.distribution(
    free.draws,
    free.estimate,
    free.conf_int(),
    xlabel="placebo estimate",
    ylabel="permutations",
    source=panel,
)

# %% [markdown]
# Completely at random, p {glue:text}`ri_p`; within provinces, p {glue:text}`ri_p_strata`,
# with placebo estimates {glue:text}`ri_sd_ratio` times as dispersed
# ({numref}`fig-permutation`).
#
# **Placebo in time.** Pretend each pilot city was treated some years early and use only
# the years before any real pilot: a real effect cannot show up there.

# %% tags=["hide-input"]
placebo = pd.Series(
    {
        f"pilots moved {k} years earlier": placebo_in_time(
            frame, "nqp", **columns, shift=k, controls=controls
        ).estimate
        for k in (2, 3, 4, 5)
    },
    name="placebo estimate",
).to_frame()
tables.show(
    tables.labelled(placebo, panel),
    "Placebo-in-time estimates (years before the first pilot)",
    decimals=3,
)

# %% [markdown]
# **{term}`Wild cluster bootstrap`.** The restricted wild bootstrap {cite}`cameron_gelbach_miller_2008`
# redraws the residuals cluster by cluster with random signs (Rademacher) or six-point
# (Webb) weights under the null of no effect. With {glue:text}`n_cities` city clusters
# it adds little to the cluster-robust t test; where it matters is the coarser level,
# provinces, whose cities may share shocks:

# %%
twfe_controls = {
    level: fit(
        f"nqp ~ {' + '.join(['did', *controls])} | city_id + year", frame, vcov={"CRV1": level}
    )
    for level in ("city_id", coarse_cluster)
}
boot = {
    "city_id": wild_cluster_bootstrap(
        frame,
        "nqp",
        **columns,
        controls=controls,
        draws=bootstrap_draws,
        weights="rademacher",
        seed=seed,
    ),
    coarse_cluster: wild_cluster_bootstrap(
        frame,
        "nqp",
        **columns,
        controls=controls,
        cluster=coarse_cluster,
        draws=bootstrap_draws,
        weights="webb",
        seed=seed,
    ),
}

# %% tags=["hide-input"]
tests = {}
for level, res in twfe_controls.items():
    b = boot[level]
    tests[f"{level} ({b.n_clusters} clusters): cluster-robust t"] = (
        res.pvalues["did"],
        *res.conf_int().loc["did"],
    )
    tests[f"{level} ({b.n_clusters} clusters): wild bootstrap ({b.weights.title()})"] = (
        b.pvalue,
        *b.conf_int(),
    )
tables.show(
    tables.labelled(tables.p_value_table(tests), panel),
    "The baseline's did: cluster-robust t and wild bootstrap at two clustering levels",
)

# %% tags=["hide-input"]
coarse = boot[coarse_cluster]
glue("n_coarse", coarse.n_clusters, display=False)
glue("n_treated_coarse", coarse.n_treated_clusters, display=False)
glue("coarse_name", coarse_cluster, display=False)
glue(
    "few_treated",
    "few, so neither test is reliable there and the randomization tests above are the safer guide"
    if coarse.n_treated_clusters < 10
    else "not few by this rule, so the bootstrap at this level is credible",
    display=False,
)

# %% [markdown]
# What makes cluster-robust inference fragile is not only the number of clusters but
# the number of *treated* clusters: with few clusters containing treated units, both the
# cluster-robust t test and the restricted wild bootstrap can be badly wrong, the
# bootstrap by under-rejecting {cite}`mackinnon_webb_2017`. Of the {glue:text}`n_coarse`
# {glue:text}`coarse_name` clusters, {glue:text}`n_treated_coarse` contain a pilot city:
# taking fewer than ten treated clusters as "few", that is {glue:text}`few_treated`.
# Treatment also varies *within* provinces (pilot and non-pilot cities side by side),
# which helps. Webb weights are used at the coarse level because with few clusters the
# two-point Rademacher weights give few distinct bootstrap samples.
#
# ## PSM-DID
#
# Chinese applied work on pilot policies often matches pilot cities ({term}`propensity
# score matching`) to similar non-pilot cities before the DID. Scores come from a logit
# of pilot status on the controls' pre-pilot means; matching is on the logit of the
# score.

# %%
psm = {
    m: psm_did(frame, "nqp", **columns, match_on=controls, controls=controls, method=m)
    for m in ("nearest", "kernel")
}

# %% tags=["hide-input"]
tables.show(
    tables.labelled(
        pd.DataFrame(
            {
                m: {
                    "pilot cities matched": f"{r.n_treated_matched} of {r.n_treated}",
                    "controls used": r.n_controls_used,
                    "DID estimate": r.estimate,
                    "s.e.": r.se,
                }
                for m, r in psm.items()
            }
        ).T,
        panel,
    ),
    "PSM-DID: matched samples and estimates",
    decimals=3,
)

# %% tags=["hide-input"]
checks = {m: r.balance_check() for m, r in psm.items()}
# "before" is the unmatched sample, the same for every method: one column
balance = next(iter(checks.values()))[["before"]].copy()
for m, check in checks.items():
    balance[f"after ({m})"] = check["after"]
    balance[f"balanced ({m})"] = check["balanced"].map({True: "yes", False: "no"})
for m, check in checks.items():
    fails = list(check.index[~check["balanced"]])
    glue(f"psm_{m}_pass", f"{int(check['balanced'].sum())} of {len(check)}", display=False)
    glue(
        f"psm_{m}_fail",
        "none"
        if not fails
        else ", ".join(f"{c} ({tables.number(check.loc[c, 'after'], 3)})" for c in fails),
        display=False,
    )
glue("balance_threshold", f"{BALANCE_THRESHOLD:g}", display=False)
tables.show(
    tables.labelled(balance, panel),
    "Standardized differences of the pre-pilot covariates before matching and after "
    f"nearest-neighbour and kernel matching (balanced: |after| < {BALANCE_THRESHOLD})",
    decimals=3,
)

# %% [markdown]
# A covariate counts as balanced when its absolute standardized difference after
# matching is below {glue:text}`balance_threshold` {cite}`austin_2009,stuart_2010`. After
# nearest-neighbour matching {glue:text}`psm_nearest_pass` covariates pass; those that
# do not: {glue:text}`psm_nearest_fail`. After kernel matching
# {glue:text}`psm_kernel_pass` pass; those that do not: {glue:text}`psm_kernel_fail`.
# Matching does not make the design more credible by itself: DID already removes fixed
# differences between cities, and matching on levels can even select controls on
# transitory shocks. It is a robustness check, not a fix for non-parallel trends.
