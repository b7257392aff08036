# %% [markdown]
# (ch-modern-did)=
# # What a modern DID analysis adds
#
# The paper estimates one two-way fixed-effects (TWFE) coefficient on a staggered
# design — pilot batches starting in different years — with no event study and no
# pre-trend test. Since 2018 the literature has shown what such a coefficient averages
# and how to do better {cite}`roth_2023_trending`. This chapter runs those tools on the
# book's panel: an event study with a joint pre-trend test and uniform bands, the
# Goodman-Bacon decomposition, the de Chaisemartin–D'Haultfœuille weights, four
# heterogeneity-robust estimators, controls measured before the pilot, a Rambachan–Roth
# sensitivity analysis, randomization and wild-bootstrap inference, and PSM-DID. It runs
# on any staggered panel whose columns are named by their roles (`columns` below, or
# `replicate run 09 --data FILE --columns unit=…,time=…,outcome=…,cohort=…`).

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
columns = None  # roles of your panel: {"unit": …, "time": …, "outcome": …, "cohort": …}; None: the paper's
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore" (the paper's panel)
pilots = None  # a CSV of city and first year replacing the pilot timing (the paper's panel)
controls = None  # None: the paper's six (schema.CONTROLS), or your panel's controls role
rescale = None  # None: mar and fin in percent (schema.REGRESSION_SCALE); {} keeps your units
window = [-6, 6]  # event-study window; endpoints are binned (narrowed to what the panel has)
permutations = 1000  # randomization-inference draws
strata = "province"  # column within which the stratified permutation reassigns pilots
placebo_years = [2, 3, 4, 5]  # placebo in time: move every start this many periods earlier
bootstrap_draws = 9999  # wild cluster bootstrap draws
coarse_cluster = "province"  # the coarser clustering level of the wild bootstrap
dcdh_draws = 200  # cluster-bootstrap draws of the dCDH DID_M standard error
mbar_values = [0.5, 1.0, 2.0]  # relative-magnitude bounds M̄
m_values = [0.0, 0.01, 0.02, 0.04]  # smoothness bounds M
rm_method = "Conditional"  # HonestDiD test for M̄: "Conditional" (fast) or "C-LF" (its default)
honest_grid = 500  # grid points of the HonestDiD test inversion
honest_demo_effect = 0.3  # pilot effect of the twin that shows HonestDiD at work (None: none)
seed = 20241128  # seed of every random draw (the book's seed, synthetic.DEFAULT_SEED)

# %% tags=["hide-input"]
import numpy as np
import pandas as pd
from IPython.display import display

from replicate import fit, i18n, replication
from replicate.data import read_staggered
from replicate.data.synthetic import Knobs, make_twin
from replicate.models import compare
from replicate.models.compare import compare_estimators, interval, relative_size
from replicate.models.event_study import event_study
from replicate.models.inference import permutation_test, placebo_in_time, wild_cluster_bootstrap
from replicate.models.matching import BALANCE_THRESHOLD, psm_did
from replicate.models.staggered import bacon_decomposition, sun_abraham, twfe_weights
from replicate.report import figures, prose_zh, tables
from replicate.report.glue import glue

figures.use_style()
panel = read_staggered(data, columns, reading=reading, pilots=pilots)
roles = panel.roles  # which column is the unit, the period, the outcome, the cohort
outcome, unit, time, cohort, treated = (
    roles.outcome,
    roles.unit,
    roles.time,
    roles.cohort,
    roles.treatment,
)
cols = {"unit": unit, "time": time, "cohort": cohort}
options = replication.options_from(globals())  # the parameters above, defaults resolved
if not panel.is_paper:  # your panel: its own controls role and units unless you say otherwise
    controls = list(roles.controls) if controls is None else options["controls"]
    scale = panel.regression_scale if rescale is None else options["rescale"]
else:
    controls, scale = options["controls"], options["rescale"]
frame = replication.regression_frame(panel, scale)
truth = panel.truth  # None unless the panel is the synthetic twin
paper_panel = panel.is_paper
pilot = "the pilot" if paper_panel else "the treatment"
since = "years since the pilot" if paper_panel else f"periods ({time}) since treatment"
with_controls = f"controls {', '.join(controls)}" if controls else "no controls"
cohort_years = sorted(
    int(g) for g in frame.groupby(unit)[cohort].first() if 0 < g <= frame[time].max()
)
n_units = int(frame[unit].nunique())
n_never = n_units - int(frame.loc[frame[cohort].between(1, frame[time].max()), unit].nunique())
starts = sorted(set(cohort_years))
panel_label = tables.data_label(panel)
i18n.glue(
    "panel_label", panel_label, i18n.translate_table_text(panel_label, i18n.table_catalogue())
)
i18n.glue(
    "reading_note",
    "on the synthetic twin it describes the twin, not China"
    if tables.is_synthetic(panel)
    else (
        "the paper's variables, read from your file"
        if paper_panel
        else f"where the text says pilot and city, read treatment and {unit}: outcome "
        f"{outcome}, periods {time}, first treated period {cohort}"
    ),
    "在合成孪生数据上，这些数字描述的是孪生数据，而不是中国"
    if tables.is_synthetic(panel)
    else (
        "变量是原文的变量，读自你的文件"
        if paper_panel
        else f"正文说“试点”和“城市”之处，请读作处理和 {unit}：结果变量 {outcome}，"
        f"时期 {time}，首次处理时期 {cohort}"
    ),
)
i18n.glue(
    "starts",
    ", ".join(map(str, starts[:-1])) + (" and " if len(starts) > 1 else "") + str(starts[-1]),
    "、".join(map(str, starts[:-1])) + (" 和 " if len(starts) > 1 else "") + f"{starts[-1]} 年",
)
print(panel.summary())

# %% [markdown]
# Every number below is computed on {glue:text}`panel_label`; {glue:text}`reading_note`.
# Treatment starts in {glue:text}`starts`.
#
# ## The event study
#
# Instead of one coefficient, an {term}`event study` estimates one per year relative to
# the pilot (the year before is the reference), binning the ends of the window. The
# coefficients before the pilot *test for pre-trends*; those after trace the effect over
# time. The uniform band covers all coefficients at once with 95% probability, which is
# what a reader looking at the whole picture needs. The call, to edit and re-run:

# %%
span = compare.event_window(frame, outcome, **cols, window=window)  # what the panel allows
study = event_study(
    frame, outcome, **cols, window=span, controls=controls, cluster=roles.cluster, seed=seed
)

# %% tags=["hide-input"]
event_table = pd.DataFrame(
    {
        "estimate": [tables.number(v, 3) for v in study.table["coef"]],
        "s.e.": [tables.number(v, 3) for v in study.table["se"]],
        "95% CI": [
            interval(lo, hi)
            for lo, hi in zip(study.table["lower"], study.table["upper"], strict=True)
        ],
        "uniform band": [
            interval(lo, hi)
            for lo, hi in zip(
                study.table["lower_uniform"], study.table["upper_uniform"], strict=True
            )
        ],
    }
)
event_table.index = pd.Index(study.table["label"], name=since)
reference = (study.table["se"].isna() | (study.table["se"] == 0)).to_numpy()
event_table.loc[reference, "s.e."] = "reference"
tables.show(
    tables.labelled(event_table, panel),
    f"Event study of {pilot} on {outcome} (TWFE with {unit} and {time} effects, "
    f"{with_controls}; clustered by {roles.cluster})",
    decimals=3,
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Event study of the treatment on the chapter's outcome (TWFE with unit and period effects and the chapter's controls): pointwise 95% intervals (bars) and the uniform sup-t band (shaded). Dashed: the true effect when the data are the synthetic twin. The axes name the panel's columns.", "name": "fig-event-study"}, "image": {"alt": "Event study with pointwise intervals, a uniform band and, on the twin, the true effect"}}
fig = figures.event_study_plot(study.table, truth.by_event_time if truth is not None else None)
fig.axes[0].set(xlabel=f"{since} (reference: −1)", ylabel=f"effect on {outcome}")
fig = figures.label(fig, panel)

# %% tags=["hide-input"]
glue("pretrend_F", tables.number(study.pretrend_F, 2), display=False)
glue("pretrend_p", tables.p_value(study.pretrend_p), display=False)
glue("pretrend_df", "{}, {}".format(*study.pretrend_df), display=False)
i18n.glue(
    "pretrend_verdict",
    "rejects" if study.pretrend_p < 0.05 else "does not reject",
    "拒绝" if study.pretrend_p < 0.05 else "不拒绝",
)
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

# %% tags=["hide-input"]
sa_leads = sun_abraham(frame, outcome, **cols, controls=controls, cluster=roles.cluster)
leads = [
    e
    for e in range(max(span[0] + 1, -5), -1)
    if e in study.table.index and e in sa_leads.by_event.index
]  # unbinned TWFE leads
if leads:
    lead_table = (
        study.table.loc[leads, ["coef", "se"]]
        .set_axis(["TWFE", "TWFE s.e."], axis=1)
        .join(sa_leads.by_event.loc[leads].set_axis(["Sun–Abraham", "SA s.e."], axis=1))
        .rename_axis(since)
    )
    gap = (lead_table["TWFE"] - lead_table["Sun–Abraham"]).abs()
    gap_se = tables.number(gap.max() / lead_table["TWFE s.e."].mean(), 2)
    i18n.glue(
        "lead_sentence",
        f"The largest gap between a TWFE lead and its Sun–Abraham counterpart is "
        f"{tables.number(gap.max(), 3)} ({tables.number(gap.max() / lead_table['TWFE s.e.'].mean(), 2)} "
        "TWFE standard errors).",
        f"TWFE 前导项与其 Sun–Abraham 对应项之间的最大差距为 {tables.number(gap.max(), 3)}"
        f"（相当于 {gap_se} 个 TWFE 标准误）。",
    )
    display(
        tables.show(
            tables.labelled(lead_table, panel),
            f"Leads (coefficients before {pilot}) on {outcome}: TWFE event study and Sun–Abraham",
            decimals=3,
        )
    )
else:
    i18n.glue(
        "lead_sentence",
        f"The window {span} leaves no unbinned lead to compare on this panel.",
        f"窗口 {span} 在这个面板上没有留下可供比较的未分箱前导项。",
    )

# %% [markdown]
# {glue:text}`lead_sentence`
#
# ## What the TWFE coefficient averages
#
# With staggered timing, the TWFE coefficient is a weighted average of every 2×2 DID in
# the data {cite}`goodman_bacon_2021`: pilot versus never-pilot cities, early versus
# later pilots before the later ones start, and — the problematic kind — later pilots
# versus earlier ones that are already treated. The decomposition below is exact for
# the specification without controls.

# %% tags=["hide-input"]
bacon = bacon_decomposition(frame, outcome, **cols)
summary = bacon.by_type()
summary.loc["total (= TWFE)"] = [
    summary["weight"].sum(),
    bacon.estimate,
    summary["comparisons"].sum(),
]
forbidden = float(summary["weight"].get("Later vs Earlier Treated", 0.0))
glue("bacon_forbidden", tables.number(forbidden, 3), display=False)
glue(
    "bacon_clean",
    tables.number(summary["weight"].get("Treated vs Untreated", 0.0), 3),
    display=False,
)
glue("n_never", n_never, display=False)
glue("n_cities", n_units, display=False)
glue("n_batches", len(starts), display=False)
tables.show(
    tables.labelled(summary.rename_axis("comparison"), panel),
    f"Goodman-Bacon decomposition of TWFE on {outcome} (no controls)",
    decimals=3,
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Goodman-Bacon decomposition: each 2×2 comparison's DID estimate against its weight in the TWFE coefficient (no controls). The weighted sum is the TWFE estimate.", "name": "fig-bacon"}, "image": {"alt": "Scatter of 2×2 DID estimates against their weights in the TWFE coefficient, by comparison type"}}
fig = figures.bacon_plot(bacon.comparisons, bacon.estimate)
fig.axes[0].set_ylabel(f"2×2 DID estimate on {outcome}")
fig = figures.label(fig, panel)

# %% [markdown]
# Comparisons that use already-treated cities as controls carry a weight of
# {glue:text}`bacon_forbidden` here, and treated-versus-never-treated comparisons
# {glue:text}`bacon_clean` ({numref}`fig-bacon`): {glue:text}`n_never` of the
# {glue:text}`n_cities` units are never treated, and there are {glue:text}`n_batches`
# batches. de Chaisemartin and D'Haultfœuille {cite}`dechaisemartin_2020` ask the same
# question cell by cell: what weight does each treated city-year's effect get?

# %% tags=["hide-input"]
weights = twfe_weights(frame, outcome, **cols)
signs = compare.weight_signs(weights, frame.assign(did=frame[treated]), unit=unit, time=time)
i18n.glue(
    "weights_sentence",
    compare.weights_sentence(signs, forbidden),
    prose_zh.weights_sentence(signs, forbidden),
)
tables.show(
    tables.labelled(
        pd.Series(
            {
                "treated cells": f"{signs.n_cells:,}",
                "negative weights": f"{weights.n_negative:,}",
                "sum of negative weights": tables.number(weights.sum_negative, 3),
                "smallest weight": tables.number(signs.smallest, 5),
                "TWFE coefficient": tables.number(weights.beta, 3),
                "σ_fe: s.d. of effects that could flip the sign": tables.number(
                    weights.sigma_fe, 3
                ),
            }
        )
        .rename_axis("statistic")
        .to_frame("value"),
        panel,
    ),
    f"de Chaisemartin–D'Haultfœuille weights of the TWFE coefficient on {outcome} (no controls)",
)

# %% [markdown]
# {glue:text}`weights_sentence`
#
# ## Estimators robust to heterogeneous effects
#
# Four estimators avoid the forbidden comparisons altogether:
# Callaway–Sant'Anna {cite}`callaway_santanna_2021` (each batch against never-treated or
# not-yet-treated cities, then aggregated), Sun–Abraham {cite}`sun_abraham_2021`
# (batch-by-event-time interactions), the imputation estimator of Borusyak, Jaravel
# and Spiess {cite}`borusyak_2024` (city and year effects fitted on untreated
# city-years only), and de Chaisemartin and D'Haultfœuille's DID_M
# {cite}`dechaisemartin_2020` (the cities that switch into treatment against those not
# yet treated, in the switching year only). One call runs them all, without covariates,
# with the paper's time-varying controls, and with the controls' pre-pilot means (next
# section):

# %%
comparison = compare_estimators(
    frame,
    outcome,
    **cols,
    controls=controls,
    cluster=roles.cluster,
    covariates=("none", "time-varying", "baseline") if controls else ("none",),
    seed=seed,
    truth=truth,
    dcdh_draws=dcdh_draws,
)

# %% tags=["hide-input"]
estimates = comparison.tidy().set_index(["estimator", "covariates", "comparison"])
notes = (
    "Comparison groups: TWFE every observation; Sun–Abraham the never treated; the "
    "imputation estimator and DID_M the not yet treated. DID_M's s.e.: cluster bootstrap, "
    f"{dcdh_draws} draws."
    + (" true: the twin's true value of each estimator's target." if truth is not None else "")
)
tables.show(
    tables.labelled(comparison.layout(["none"], notes=notes), panel),
    f"Estimates of the effect of {pilot} on {outcome} without covariates",
    decimals=3,
)

# %% tags=["hide-input"]
EVERY = compare.EVERY
cs = comparison.result("callaway_santanna")
cs_notyet = comparison.result("callaway_santanna", "none", "not yet treated")
dcdh = comparison.result("dcdh", "none", "not yet treated")
twfe_se = estimates.loc[("TWFE", "none", EVERY), "std_error"]
bjs_se = estimates.loc[("imputation (BJS)", "none", "not yet treated"), "std_error"]
glue("cs_se", tables.number(cs.se, 3), display=False)
glue("twfe_se", tables.number(twfe_se, 3), display=False)
glue("bjs_se", tables.number(bjs_se, 3), display=False)
i18n.glue("cs_vs_twfe", relative_size(cs.se, twfe_se), prose_zh.relative_size(cs.se, twfe_se))
i18n.glue("cs_vs_bjs", relative_size(cs.se, bjs_se), prose_zh.relative_size(cs.se, bjs_se))
twfe_none = estimates.loc[("TWFE", "none", EVERY), "estimate"]
glue("twfe_none", tables.number(twfe_none, 3), display=False)
if controls:
    twfe_tv = estimates.loc[("TWFE", "time-varying", EVERY), "estimate"]
    twfe_tv_se = estimates.loc[("TWFE", "time-varying", EVERY), "std_error"]
    i18n.glue(
        "twfe_moves",
        f"TWFE moves from {tables.number(twfe_none, 3)} without controls to "
        f"{tables.number(twfe_tv, 3)} with the time-varying controls.",
        f"TWFE 估计值从不含控制变量时的 {tables.number(twfe_none, 3)} 变为含时变控制变量时的 "
        f"{tables.number(twfe_tv, 3)}。",
    )
else:
    twfe_tv, twfe_tv_se = twfe_none, twfe_se
    i18n.glue(
        "twfe_moves",
        "This panel names no controls, so every estimate here is without them.",
        "这个面板没有指定控制变量，因此这里的每个估计值都不含控制变量。",
    )
glue("es_avg_se", tables.number(study.se, 3), display=False)
glue("twfe_tv_se", tables.number(twfe_tv_se, 3), display=False)
if truth is None:
    truth_sentence = (
        "On this panel the true effect is unknown (only the synthetic twin carries its truth)."
    )
    truth_zh = "这个面板的真实效应未知（只有合成孪生数据带有真实值）。"
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
    truth_zh = f"在孪生数据上，真实效应平均为 {tables.number(truth.att, 3)}，" + (
        "且每个批次、每一年都相同，因此 TWFE 的异质性问题不会出现。"
        if constant
        else "且因批次或年份而异，因此 TWFE 的加权方式很重要。"
    )
i18n.glue("truth_sentence", truth_sentence, truth_zh)
i18n.glue(
    "dcdh_sentence",
    compare.did_m_sentence(dcdh, cs_notyet),
    prose_zh.did_m_sentence(dcdh, cs_notyet),
)

# %% [markdown]
# Callaway–Sant'Anna's standard error ({glue:text}`cs_se`, never-treated comparison,
# simple aggregation) is {glue:text}`cs_vs_twfe` TWFE's ({glue:text}`twfe_se`) and
# {glue:text}`cs_vs_bjs` the imputation estimator's ({glue:text}`bjs_se`), all without
# covariates ("about the same" means within 10%). Where it is larger, the reason is its
# design: each post-pilot year is compared with a single base year (the year before the
# pilot), while TWFE and the imputation estimator use every pre-pilot year — the price
# of robustness when effects happen to be homogeneous. {glue:text}`dcdh_sentence`
# {glue:text}`truth_sentence` {glue:text}`twfe_moves` {numref}`fig-estimators` shows the
# estimators' effects by years since the pilot. The teaching chapter switches on
# heterogeneity to show where TWFE parts company with the others.
#
# Callaway–Sant'Anna's four aggregations of the batch-by-year effects: *simple* (every
# post-pilot batch-year, weighted by batch size), *group* (average effect of each batch,
# then averaged), *dynamic* (by years since the pilot, then averaged) and *calendar* (by
# year, then averaged), with both control groups:

# %% tags=["hide-input"]
cs_aggregations = pd.concat({"never": cs.overall, "not yet": cs_notyet.overall}, axis=1)
cs_aggregations.columns = [
    f"{'s.e.' if stat == 'se' else stat} ({group})" for group, stat in cs_aggregations.columns
]
tables.show(
    tables.labelled(cs_aggregations, panel),
    f"Callaway–Sant'Anna aggregations on {outcome}: estimate and s.e. with never-treated "
    "(never) and not-yet-treated (not yet) units as controls",
    decimals=3,
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Effects by periods since treatment: TWFE event study, Callaway–Sant'Anna (never-treated controls), Sun–Abraham, the imputation estimator and DID_M (the first treated period only), without covariates except the event study. Dashed: the true effect when the data are the synthetic twin.", "name": "fig-estimators"}, "image": {"alt": "Event-time effects of five estimators side by side, with the twin's true effect"}}
effects = {
    "TWFE event study": study.table.loc[study.table.index >= -5, ["coef", "se"]].rename(
        columns={"coef": "estimate"}
    ),
    "Callaway–Sant'Anna": cs.aggregations["dynamic"].loc[-5:],
    "Sun–Abraham": comparison.result("sun_abraham").by_event.loc[-5:],
    "imputation (BJS)": comparison.result("imputation", "none", "not yet treated").by_event,
    "DID_M": pd.DataFrame({"estimate": [dcdh.estimate], "se": [dcdh.se]}, index=[0]),
}
fig = figures.estimator_comparison(
    effects, truth.by_event_time.loc[-1:] if truth is not None else None
)
fig.axes[0].set(xlabel=since, ylabel=f"effect on {outcome}")
fig = figures.label(fig, panel)

# %% [markdown]
# ## Controls the pilot may move
#
# The paper's controls are measured every year, after the pilot as well as before.
# Broadband can itself move some of them — foreign investment (`fdi`), marketization
# (`mar`), financial development (`fin`) — and conditioning on an outcome of the
# treatment is a *bad control* {cite}`angrist_pischke_2009`: it can remove part of the
# effect or add a bias. The remedy is to use the controls' values *before* the pilot:
# each city's mean over the years before the first pilot, interacted with year effects
# in TWFE, Sun–Abraham and the imputation estimator (so cities with different baselines
# may follow different trends: `nqp ~ did + C(year):fdi_pre + … | city_id + year`), and
# as the covariates of a doubly robust Callaway–Sant'Anna (`est_method="dr"`, the
# default).

# %% tags=["hide-input"]
if controls:
    first_start = min(starts)
    display(
        tables.show(
            tables.labelled(
                comparison.layout(
                    ["time-varying", "baseline"],
                    notes="Comparison groups as in the table without covariates.",
                ),
                panel,
            ),
            f"Effect on {outcome} with time-varying controls and with their means over "
            f"{int(frame[time].min())}–{first_start - 1} (pre-treatment means)",
            decimals=3,
        )
    )
    twfe_base = estimates.loc[("TWFE", "baseline", EVERY)]
    cs_base = estimates.loc[("Callaway–Sant'Anna", "baseline", "never treated")]
    controls_sentence = (
        f"With pre-treatment covariates TWFE gives {tables.number(twfe_base['estimate'], 3)} "
        f"(with time-varying controls {tables.number(twfe_tv, 3)}), and the doubly robust "
        f"Callaway–Sant'Anna {tables.number(cs_base['estimate'], 3)} (95% interval "
        f"{interval(cs_base['conf_low'], cs_base['conf_high'])})."
    )
    controls_zh = (
        f"使用处理前协变量时，TWFE 给出 {tables.number(twfe_base['estimate'], 3)}"
        f"（使用时变控制变量时为 {tables.number(twfe_tv, 3)}），双重稳健的 "
        f"Callaway–Sant'Anna 给出 {tables.number(cs_base['estimate'], 3)}（95% 区间 "
        f"{interval(cs_base['conf_low'], cs_base['conf_high'])}）。"
    )
    if truth is None:
        controls_sentence += (
            " The true effect of this panel is unknown, so only the gap can be read."
        )
        controls_zh += "这个面板的真实效应未知，因此只能解读二者的差距。"
    else:
        gaps = {
            "time-varying": abs(twfe_tv - truth.att),
            "pre-pilot": abs(twfe_base["estimate"] - truth.att),
        }
        best = min(gaps, key=gaps.get)
        off = (estimates["estimate"] - estimates["true_effect"]).abs()
        estimator, covariates, _ = off.idxmin()
        controls_sentence += (
            f" On the twin, whose true effect is {tables.number(truth.att, 3)}, the TWFE "
            f"estimate with {best} controls is the closer one (off by "
            f"{tables.number(gaps[best], 3)}). Of every estimate in the two tables, {estimator} "
            f"with {'no' if covariates == 'none' else compare.COVARIATE_WORDS[covariates]} "
            f"covariates comes closest (off by {tables.number(off.min(), 3)}) — in one draw of "
            "the twin, which says little about bias (a Monte Carlo over many twins measures "
            "it; the teaching chapter runs one)."
        )
        with_zh = {"none": "不含协变量的", "time-varying": "含时变协变量的"}
        controls_zh += (
            f"在真实效应为 {tables.number(truth.att, 3)} 的孪生数据上，使用"
            f"{'时变' if best == 'time-varying' else '试点前'}控制变量的 TWFE 估计值更接近"
            f"（偏差 {tables.number(gaps[best], 3)}）。在两张表的所有估计值中，"
            f"{with_zh.get(covariates, '含处理前均值协变量的')} {estimator} 最接近"
            f"（偏差 {tables.number(off.min(), 3)}）——这只是孪生数据的一次抽样，"
            "对偏误说明不了多少（要衡量偏误，需对许多孪生数据做蒙特卡洛模拟；教学一章做了一次）。"
        )
else:
    controls_sentence = (
        "This panel names no controls (no controls role in columns), so this section is skipped."
    )
    controls_zh = "这个面板没有指定控制变量（columns 中没有 controls 角色），因此跳过本节。"
i18n.glue("controls_sentence", controls_sentence, controls_zh)

# %% [markdown]
# {glue:text}`controls_sentence`
#
# ## How robust is the effect to violations of parallel trends?
#
# Rambachan and Roth {cite}`rambachan_roth_2023` replace "parallel trends hold" by a
# bound: post-pilot violations at most $\bar M$ times the largest pre-pilot one
# (*relative magnitudes*), or a trend whose slope changes by at most $M$ per year
# (*smoothness*). The table gives robust 95% intervals for two targets: the **average
# effect over the post-pilot years** (the event study's summary, the effect a policy
# reader asks about) and the effect in the pilot year. For relative magnitudes it uses
# the conditional test (parameter `rm_method`; HonestDiD's default, the hybrid "C-LF",
# can give somewhat shorter intervals at a much higher cost). The *breakdown value* is
# the largest bound under which the robust interval still excludes zero.

# %% tags=["hide-input"]
names = {"average": "average post-treatment effect", "first": "first-year effect"}
honest = {
    target: compare.honest_bounds(
        study, target, mbar_values, m_values, method=rm_method, grid_points=honest_grid
    )
    for target in names
}
blocks = {names[target]: compare.honest_intervals(by_kind) for target, by_kind in honest.items()}
display(
    tables.show(
        tables.labelled(pd.concat(blocks, axis=1), panel),
        f"Rambachan–Roth robust 95% intervals of two targets (event study of {outcome})",
    )
)
i18n.glue(
    "honest_sentence",
    compare.sensitivity_sentence(honest, names),
    prose_zh.sensitivity_sentence(honest, names),
)
glue("es_avg_est", tables.number(study.estimate, 3), display=False)
significant = compare.any_significant(honest)

# %% [markdown]
# {glue:text}`honest_sentence` The event study's average ({glue:text}`es_avg_est`) has a
# standard error of {glue:text}`es_avg_se`, against {glue:text}`twfe_tv_se` for the single
# TWFE coefficient with the same controls: each event-study coefficient is measured
# against the one year before the pilot, the TWFE coefficient against all pre-pilot
# years, so the event study is the less precise summary before any bound is applied.

# %% tags=["hide-input"]
demo = None
demo_zh = None
if significant:
    demo_sentence = "A target is significant on these data, so no demonstration panel is needed."
    demo_zh = "在这些数据上已有目标显著，因此不需要演示面板。"
elif honest_demo_effect is None or not paper_panel:
    demo_sentence = (
        "No target is significant here; the demonstration on a twin with a larger effect "
        "runs on the paper's panel only (parameter honest_demo_effect)."
    )
    demo_zh = (
        "这里没有一个目标显著；在效应更大的孪生数据上所做的演示只在原文的面板上运行"
        "（参数 honest_demo_effect）。"
    )
else:
    years = range(int(frame[time].min()), int(frame[time].max()) + 1)  # every batch of the twin
    knobs = Knobs(cohort_effects=dict.fromkeys(years, float(honest_demo_effect)))
    demo = make_twin(seed, reading=reading, knobs=knobs).panel()
    demo_frame = replication.regression_frame(demo, scale)
    demo_study = event_study(demo_frame, outcome, **cols, window=span, controls=controls, seed=seed)
    demo_honest = {
        "first": compare.honest_bounds(
            demo_study, "first", mbar_values, m_values, method=rm_method, grid_points=honest_grid
        )
    }
    display(
        tables.show(
            tables.labelled(
                compare.honest_intervals(demo_honest["first"]).to_frame(names["first"]), demo
            ),
            f"Demonstration: robust 95% intervals of the first-year effect on a twin whose "
            f"pilot effect on {outcome} is {honest_demo_effect:g} (true first-year effect "
            f"{tables.number(demo.truth.by_event_time.loc[0], 3)})",
        )
    )
    demo_sentence = (
        "To see what the method says when there is a conclusion to overturn, the table above "
        f"runs it on a twin generated with a pilot effect of {honest_demo_effect:g} on "
        f"{outcome} instead of the calibrated one (same seed; synthetic, like the book's "
        "twin). " + compare.sensitivity_sentence(demo_honest, names)
    )
    demo_zh = (
        "为了看看当存在可被推翻的结论时该方法会给出什么，上表在一个以 "
        f"{honest_demo_effect:g} 的试点效应（而非校准值）对 {outcome} 生成的孪生数据上运行它"
        "（同一种子；与本书的孪生数据一样是合成数据）。"
        + prose_zh.sensitivity_sentence(demo_honest, names)
    )
i18n.glue("demo_sentence", demo_sentence, demo_zh)

# %% [markdown]
# {glue:text}`demo_sentence`
#
# ## Inference that does not rest on asymptotics
#
# **{term}`Randomization inference`.** Reassign the pilot histories — which city got which
# batch — at random, keeping the batch sizes, and re-estimate the baseline each time.
# The placebo estimates form the distribution of the coefficient under the sharp null
# of no effect in any city *and a stated assignment mechanism*. Drawn completely at
# random among all {glue:text}`n_cities` units, the share of placebo estimates as large
# as the real one is a p-value only if the pilots could have gone to any city with equal
# probability. They could not: cities applied to become pilots and were selected, so
# pilot status may go with city characteristics that also move the outcome. Permuting
# *within provinces* keeps each province's number of pilot cities, an assignment closer
# to how pilots were chosen. Both are shown where the panel has the strata column:

# %% tags=["hide-input"]
ri = {
    "completely at random": permutation_test(
        frame, outcome, **cols, controls=controls, draws=permutations, seed=seed
    )
}
if strata in frame.columns:
    ri[f"within {strata}"] = permutation_test(
        frame, outcome, **cols, controls=controls, draws=permutations, seed=seed, strata=strata
    )
ri_table = pd.DataFrame(
    {
        name: {
            "estimate": tables.number(r.estimate, 3),
            "placebo s.d.": tables.number(r.se, 3),
            "p-value": tables.p_value(r.pvalue).removeprefix("= "),
            "95% CI": interval(*r.conf_int()),
            "draws": f"{r.n_draws:,}",
        }
        for name, r in ri.items()
    }
).T.rename_axis("assignment")
display(
    tables.show(
        tables.labelled(ri_table, panel),
        f"Randomization inference on the TWFE coefficient of {treated} on {outcome} ({with_controls}; "
        "placebo s.d.: standard deviation of the placebo estimates; 95% CI from inverting the test)",
    )
)
free = ri["completely at random"]
ri_sentence = f"Completely at random, p {tables.p_value(free.pvalue)}"
ri_zh = f"完全随机分配时，p {tables.p_value(free.pvalue)}"
if len(ri) > 1:
    stratified = ri[f"within {strata}"]
    ri_sentence += (
        f"; within {strata}, p {tables.p_value(stratified.pvalue)}, with placebo estimates "
        f"{tables.number(stratified.se / free.se, 2)} times as dispersed"
    )
    ri_zh += (
        f"；在{prose_zh.column_zh(strata)}之内分配时，p {tables.p_value(stratified.pvalue)}，"
        "安慰剂估计值的"
        f"离散程度是前者的 {tables.number(stratified.se / free.se, 2)} 倍"
    )
else:
    ri_sentence += (
        f". The panel has no column '{strata}' (parameter strata), so the stratified test "
        "is skipped"
    )
    ri_zh += f"。该面板没有“{strata}”列（参数 strata），因此跳过分层检验"
i18n.glue("ri_sentence", ri_sentence, ri_zh)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Randomization inference: TWFE estimates after reassigning the treatment histories across all units completely at random, keeping the cohort sizes; the solid line is the estimate with the real assignment, the dashed lines the 95% interval from inverting the test.", "name": "fig-permutation"}, "image": {"alt": "Histogram of placebo TWFE estimates under random reassignment of treatment, with the real estimate marked"}}
fig = figures.distribution(
    free.draws,
    free.estimate,
    free.conf_int(),
    xlabel=f"placebo estimate of the effect on {outcome}",
    ylabel="permutations",
    source=panel,
)

# %% [markdown]
# {glue:text}`ri_sentence` ({numref}`fig-permutation`).
#
# **Placebo in time.** Pretend each pilot city was treated some years early and use only
# the years before any real pilot: a real effect cannot show up there, so an interval
# that excludes zero is a warning.

# %% tags=["hide-input"]
shifts = compare.placebo_shifts(frame, outcome, **cols, shifts=placebo_years)
if shifts:
    placebo = compare.placebo_table(
        {
            f"{k} {'years' if paper_panel else 'periods'} earlier": placebo_in_time(
                frame, outcome, **cols, shift=k, controls=controls, cluster=roles.cluster
            )
            for k in shifts
        }
    )
    display(
        tables.show(
            tables.labelled(placebo, panel),
            f"Placebo in time on {outcome}: every start moved earlier, periods before the first "
            f"treatment ({int(frame[time].min())}–{min(starts) - 1}), TWFE with {with_controls}, "
            f"clustered by {roles.cluster}",
            decimals=3,
        )
    )
    i18n.glue(
        "placebo_sentence",
        compare.placebo_sentence(placebo),
        prose_zh.placebo_sentence(placebo),
    )
else:
    i18n.glue(
        "placebo_sentence",
        f"The panel has {min(starts) - int(frame[time].min())} period(s) before the first "
        f"treatment, too few for a placebo moved {', '.join(map(str, placebo_years))} periods "
        "earlier (parameter placebo_years); skipped.",
        f"这个面板在首次处理之前只有 {min(starts) - int(frame[time].min())} 个时期，不足以做"
        f"提前 {'、'.join(map(str, placebo_years))} 期的安慰剂检验（参数 placebo_years）；"
        "已跳过。",
    )

# %% [markdown]
# {glue:text}`placebo_sentence`
#
# **{term}`Wild cluster bootstrap`.** The restricted wild bootstrap {cite}`cameron_gelbach_miller_2008`
# redraws the residuals cluster by cluster with random signs (Rademacher) or six-point
# (Webb) weights under the null of no effect, at the level of the cities and at a coarser
# level, provinces, whose cities may share shocks:

# %% tags=["hide-input"]
levels = [roles.cluster] + (
    [coarse_cluster] if coarse_cluster in frame.columns and coarse_cluster != roles.cluster else []
)
formula = f"{outcome} ~ {' + '.join([treated, *controls])} | {unit} + {time}"
twfe_controls = {level: fit(formula, frame, vcov={"CRV1": level}) for level in levels}
boot = {
    level: wild_cluster_bootstrap(
        frame,
        outcome,
        **cols,
        controls=controls,
        cluster=level,
        draws=bootstrap_draws,
        weights="rademacher" if level == roles.cluster else "webb",
        seed=seed,
    )
    for level in levels
}
tests = {}
for level, res in twfe_controls.items():
    b = boot[level]
    tests[f"{level} ({b.n_clusters} clusters): cluster-robust t"] = (
        res.pvalues[treated],
        *res.conf_int().loc[treated],
    )
    tests[f"{level} ({b.n_clusters} clusters): wild bootstrap ({b.weights.title()})"] = (
        b.pvalue,
        *b.conf_int(),
    )
display(
    tables.show(
        tables.labelled(tables.p_value_table(tests), panel),
        f"The TWFE coefficient of {treated} on {outcome} ({with_controls}): cluster-robust t and "
        "wild bootstrap by clustering level",
    )
)
coarse = boot.get(coarse_cluster) if len(levels) > 1 else None
mixed = None
if coarse is not None:  # clusters holding treated and never-treated units
    ever = frame.groupby(unit)[treated].transform("max")
    mixed = int(ever.groupby(frame[coarse_cluster]).agg(lambda e: e.max() > e.min()).sum())
boot_args = (boot[roles.cluster], tuple(twfe_controls[roles.cluster].conf_int().loc[treated]))
boot_kwargs = {
    "fine_level": roles.cluster,
    "coarse": coarse,
    "coarse_level": coarse_cluster,
    "mixed": mixed,
}
boot_text = compare.bootstrap_sentence(*boot_args, **boot_kwargs)
boot_zh = prose_zh.bootstrap_sentence(*boot_args, **boot_kwargs)
if coarse is None:
    boot_text += (
        f" The panel has no column '{coarse_cluster}' (parameter coarse_cluster), so the "
        "coarser level is skipped."
    )
    boot_zh += f"该面板没有“{coarse_cluster}”列（参数 coarse_cluster），因此跳过较粗的层面。"
i18n.glue("boot_sentence", boot_text, boot_zh)

# %% [markdown]
# What makes cluster-robust inference fragile is not only the number of clusters but the
# number of *treated* clusters: with few, both the cluster-robust t test and the
# restricted wild bootstrap can be badly wrong, the bootstrap by under-rejecting
# {cite}`mackinnon_webb_2017`. {glue:text}`boot_sentence`
#
# ## PSM-DID
#
# Chinese applied work on pilot policies often matches pilot cities ({term}`propensity
# score matching`) to similar non-pilot cities before the DID. Scores come from a logit
# of pilot status on the controls' pre-pilot means; matching is on the logit of the
# score. A covariate counts as balanced when its absolute standardized difference after
# matching is below {glue:text}`balance_threshold` {cite}`austin_2009,stuart_2010`.

# %% tags=["hide-input"]
if controls:
    psm = {
        m: psm_did(frame, outcome, **cols, match_on=controls, controls=controls, method=m)
        for m in ("nearest", "kernel")
    }
    display(
        tables.show(
            tables.labelled(
                pd.DataFrame(
                    {
                        m: {
                            "treated matched": f"{r.n_treated_matched} of {r.n_treated}",
                            "controls used": r.n_controls_used,
                            "DID estimate": tables.number(r.estimate, 3),
                            "s.e.": tables.number(r.se, 3),
                        }
                        for m, r in psm.items()
                    }
                ).T.rename_axis("matching"),
                panel,
            ),
            f"PSM-DID on {outcome}: matched samples and estimates",
        )
    )
    checks = {m: r.balance_check() for m, r in psm.items()}
    # "before" is the unmatched sample, the same for every method: one column
    balance = next(iter(checks.values()))[["before"]].copy()
    for m, check in checks.items():
        balance[f"after ({m})"] = check["after"]
        balance[f"balanced ({m})"] = check["balanced"].map({True: "yes", False: "no"})
    display(
        tables.show(
            tables.labelled(balance.rename_axis("covariate"), panel),
            "Standardized differences of the pre-treatment covariates before matching and after "
            f"nearest-neighbour and kernel matching (balanced: |after| < {BALANCE_THRESHOLD})",
            decimals=3,
        )
    )
    before = balance["before"].abs()
    psm_text = (
        f"Before matching, the treated units' pre-treatment means differ from the others' by up "
        f"to {tables.number(before.max(), 3)} standard deviations ({before.idxmax()})"
        + (
            " — on the twin a difference it was built with, which says nothing about China."
            if tables.is_synthetic(panel)
            else "."
        )
    )
    psm_zh = (
        f"匹配之前，受处理单位的处理前均值与其他单位相差最多 {tables.number(before.max(), 3)} "
        f"个标准差（{before.idxmax()}）"
        + (
            "——在孪生数据上，这是构造它时设定的差异，并不说明中国的任何情况。"
            if tables.is_synthetic(panel)
            else "。"
        )
    )
    for m, check in checks.items():
        fails = list(check.index[~check["balanced"]])
        psm_text += (
            f" After {'nearest-neighbour' if m == 'nearest' else m} matching "
            f"{int(check['balanced'].sum())} of {len(check)} pass"
            + (
                "."
                if not fails
                else "; those that do not: "
                + ", ".join(f"{c} ({tables.number(check.loc[c, 'after'], 3)})" for c in fails)
                + "."
            )
        )
        psm_zh += (
            f"经过{'最近邻' if m == 'nearest' else '核' if m == 'kernel' else m}匹配后，"
            f"{len(check)} 个协变量中有 {int(check['balanced'].sum())} 个通过"
            + (
                "。"
                if not fails
                else "；未通过的是："
                + "、".join(f"{c}（{tables.number(check.loc[c, 'after'], 3)}）" for c in fails)
                + "。"
            )
        )
else:
    psm_text = "This panel names no controls to match on (no controls role in columns), so PSM-DID is skipped."
    psm_zh = (
        "这个面板没有指定可用于匹配的控制变量（columns 中没有 controls 角色），因此跳过 PSM-DID。"
    )
i18n.glue("psm_sentence", psm_text, psm_zh)
glue("balance_threshold", f"{BALANCE_THRESHOLD:g}", display=False)

# %% [markdown]
# {glue:text}`psm_sentence`
#
# Matching does not make the design more credible by itself: DID already removes fixed
# differences between cities, and matching on levels can even select controls on
# transitory shocks. It is a robustness check, not a fix for non-parallel trends.
