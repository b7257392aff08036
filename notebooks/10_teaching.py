# %% [markdown]
# (ch-teaching)=
# # Teaching DID with a known truth
#
# The synthetic twin knows the true effect of the pilot in every city and year. This
# chapter uses its knobs to show *when* the paper's estimator — {term}`two-way fixed
# effects` — misleads with {term}`staggered adoption`, *why* (a decomposition of its
# bias into {term}`variance weighting` and {term}`forbidden comparison`s), and how the
# heterogeneity-robust estimators of {ref}`ch-modern-did` fare against their own targets.
# {glue:text}`teach_scope` Change the parameters
# (e.g. `replicate run 10 -p dynamic_slope 0.1`) and watch what moves; change the number
# of twins with `replicate run 10 -p monte_carlo_draws 400 -p exercise_draws 400` (or run
# the same draws on a Dask cluster with `replicate montecarlo`). Everything here is
# **synthetic by design**.

# %% tags=["parameters"]
data = "synthetic"  # unused: this chapter always simulates
seed = 7  # seed of the one-draw example
cohort_effects = {2014: 0.30, 2015: 0.15, 2016: 0.00}  # direct effect on nqp per batch
dynamic_slope = 0.04  # extra effect per year since the pilot
anticipation = 0  # years the effect starts before the pilot
pretrend = 0.0  # extra yearly growth of pilot cities before their pilot
conditional_trends = False  # True: controls drive the trends, as in the default twin
all_treated = False  # True: keep only the pilot cities (no never-treated city)
monte_carlo_draws = 200  # twins in the Monte Carlo of the estimators and of the bias
exercise_draws = 200  # twins behind each exercise's solution

# %% tags=["hide-input"]
import numpy as np
import pandas as pd
from scipy import stats

from replicate import i18n, montecarlo, teaching
from replicate import multiverse as mv
from replicate.data import synthetic
from replicate.data.schema import CONTROLS
from replicate.models.bias import PARTS, true_effects, twfe_bias
from replicate.models.event_study import event_study
from replicate.replication import regression_frame
from replicate.report import figures, prose_zh, tables
from replicate.report.glue import glue

figures.use_style()
knobs = {
    "cohort_effects": cohort_effects,
    "dynamic_slope": dynamic_slope,
    "anticipation": anticipation,
    "pretrend": pretrend,
    "conditional_trends": conditional_trends,
    **({"all_treated": True} if all_treated else {}),  # absent when off: same seeds as the CLI
}
twin = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**knobs))
panel = twin.panel()
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
frame = regression_frame(panel).merge(true_effects(twin), on=["city_id", "year"])
truth = twin.truth
teach_label = tables.data_label(panel)
i18n.glue(
    "teach_label", teach_label, i18n.translate_table_text(teach_label, i18n.table_catalogue())
)
glue("teach_draws", monte_carlo_draws, display=False)
glue("teach_exercise_draws", exercise_draws, display=False)
i18n.glue(
    "teach_effects",
    teaching.describe_effects(truth, knobs),
    prose_zh.describe_effects(truth, knobs),
)

# %% tags=["hide-input"]
tables.show(
    tables.labelled(pd.DataFrame({"true ATT by batch": truth.by_cohort}).T, panel),
    "The twin's true average effect on the treated, by pilot batch",
    decimals=4,
)

# %% [markdown]
# {glue:text}`teach_effects` (See {term}`heterogeneous treatment effects`.)
#
# ## One draw: estimates against the truth

# %% tags=["hide-input"]
design = montecarlo.Design(knobs, estimators=("twfe", "cs_never", "sun_abraham", "imputation"))
one = pd.DataFrame(montecarlo.simulate_draw({"seed": seed, "draw": 0}, design))
one_draw = teaching.against_own_estimand(one, truth)
targets = "Targets (truth): " + "; ".join(f"{k}: {v}" for k, v in one_draw["estimand"].items())
tables.show(
    tables.labelled(
        one_draw[["truth", "mean estimate", "bias", "failed"]].rename(
            columns={"mean estimate": "estimate"}
        ),
        panel,
    ),
    "One twin: each estimator against its own target (bias = estimate − target; "
    "failed = 1 if the estimator refused this panel)",
    decimals=4,
    notes=f"Data: {tables.data_label(panel)}. {targets}.",
)

# %% [markdown]
# The estimators target slightly different averages — the imputation estimator and
# Callaway–Sant'Anna's simple aggregation average the effects of all treated city-years
# (the ATT); Sun–Abraham's summary weights each year since the pilot equally — so each
# is compared with its own target. One draw mixes bias with noise; the next section
# repeats the experiment.
#
# ## Many draws: bias with its Monte Carlo standard error
#
# The pilot timing, the cities and the true effects are the same in every twin; only the
# outcomes differ. So each estimator's projection (TWFE, Sun–Abraham) or weights
# (imputation, Callaway–Sant'Anna) are computed once and applied to all twins' outcomes
# at once — the same numbers as running each estimator twin by twin, to 1e-10. The twins
# are those of `replicate montecarlo --draws 1000 --cohort-effects 2014:0.3,2015:0.15,2016:0
# --dynamic-slope 0.04 --no-conditional-trends --estimators twfe,cs_never,sun_abraham,imputation`
# (seeds from the design's hash and the draw number), which runs them one by one on a
# Dask cluster ({ref}`ch-multiverse`).

# %%
twins = montecarlo.draw_twins(design, monte_carlo_draws)  # every twin's outcomes, as arrays
draws = montecarlo.run_fast(design, monte_carlo_draws, twins)  # four estimators, all twins

# %% tags=["hide-input"]
own = teaching.against_own_estimand(draws, truth)
tables.show(
    tables.labelled(
        own.drop(columns="estimand").rename(
            columns={"mean estimate": "estimate", "bias MC s.e.": "MC s.e."}
        ),
        panel,
    ),
    f"{monte_carlo_draws} twins: each estimator against its own target",
    decimals=4,
    notes=f"Data: {monte_carlo_draws} SYNTHETIC twins with the knobs above. estimate: mean "
    "over the twins that gave one (draws); MC s.e.: Monte Carlo s.e. of the bias. "
    f"{targets}.",
)

# %% tags=["hide-input"]
for key, label in {
    "twfe": "TWFE",
    "imputation": "imputation (BJS)",
    "cs": "Callaway–Sant'Anna, never treated",
    "sa": "Sun–Abraham",
}.items():
    row = own.loc[label]
    bias_text = teaching.with_se(row["bias"], row["bias MC s.e."], 4)
    where = teaching.against(row["bias"], row["bias MC s.e."], 0.0, "its target")
    bias_zh = prose_zh.with_se(row["bias"], row["bias MC s.e."], 4)
    where_zh = prose_zh.against(row["bias"], row["bias MC s.e."], 0.0, "its target")
    i18n.glue(f"teach_bias_{key}", bias_text, bias_zh)
    i18n.glue(f"teach_where_{key}", where, where_zh)
    i18n.glue(
        f"teach_result_{key}",
        f"misses its target by {bias_text} ({where})"
        if row["draws"]
        else "refuses this panel in every draw (see the table's failed column)",
        prose_zh.misses_target(row["bias"], row["bias MC s.e."], 4)
        if row["draws"]
        else "在每次抽样中都拒绝了这个面板（见表中的 failed 列）",
    )

# %% tags=["hide-input"]
i18n.glue(
    "teach_scope",
    f"The tables marked one twin and the event-study figure show a single draw (seed {seed}) "
    "and illustrate the mechanics only. Every comparison between estimators is a mean over "
    f"{monte_carlo_draws} twins and every exercise's solution one over {exercise_draws}, "
    "printed with its Monte Carlo standard error (for TWFE's mean error here "
    f"{tables.number(own.loc['TWFE', 'bias MC s.e.'], 4)}); a difference within "
    f"{teaching.SIGNIFICANT_Z:.0f} such errors is reported as not distinguishable.",
    f"标有“一组孪生数据”的表格和事件研究图只展示一次抽样（种子 {seed}），仅用于说明计算机制。"
    f"估计量之间的每一项比较都是 {monte_carlo_draws} 组孪生数据上的均值，每道练习的解答则是 "
    f"{exercise_draws} 组上的均值，均附有蒙特卡洛标准误（这里 TWFE 平均误差的标准误为 "
    f"{tables.number(own.loc['TWFE', 'bias MC s.e.'], 4)}）；相差在 "
    f"{teaching.SIGNIFICANT_Z:.0f} 个这样的标准误之内的差异，记为无法区分。",
)

# %% [markdown]
# Over {glue:text}`teach_draws` twins, TWFE's average error against the ATT is
# {glue:text}`teach_bias_twfe`: {glue:text}`teach_where_twfe`. The imputation estimator
# {glue:text}`teach_result_imputation`, Callaway–Sant'Anna {glue:text}`teach_result_cs`
# and Sun–Abraham, against the mean of the effects by year since the pilot,
# {glue:text}`teach_result_sa`. A verdict "within Monte
# Carlo error" means the mean error is within two Monte Carlo standard errors of zero;
# more twins shrink that margin.
#
# ## Why TWFE misses: weighting and forbidden comparisons
#
# {cite}`goodman_bacon_2021` writes the TWFE coefficient as a weighted average of 2×2
# comparisons. Each 2×2's estimate is its treated group's own effect, minus the change in
# its *control* group's effect (zero unless the control is already treated), plus the 2×2
# of the untreated outcomes (noise, or a violation of parallel trends). So TWFE's bias
# against the ATT splits exactly into three parts (`replicate.models.bias.twfe_bias`):
#
# * **variance weighting** — each comparison's own effect, weighted by TWFE's weights
#   rather than by treated city-years, minus the ATT;
# * **forbidden comparisons** — the change in an already-treated control's effect,
#   weighted;
# * **noise and trend violation** — the 2×2s of untreated outcomes, weighted (mean zero
#   over draws when parallel trends hold).

# %% tags=["hide-input"]
bias = twfe_bias(frame, "nqp", "tau", **columns)
tables.show(
    tables.labelled(bias.by_type().rename(columns=teaching.PART_HEADERS), panel),
    "One twin: TWFE's bias (estimate − ATT) by comparison type and source",
    decimals=4,
    notes=f"Data: {tables.data_label(panel)}. {teaching.PART_NOTES}",
)

# %% tags=["hide-input"]
parts = teaching.decomposition_summary(
    teaching.run_fast("decomposition", design, monte_carlo_draws, twins)
)
decomposition_notes = (
    f"{teaching.PART_NOTES} Monte Carlo s.e. in parentheses; (0.0000): the part is the same "
    "in every draw (weights and effects are not random)."
)
tables.show(
    tables.labelled(teaching.decomposition_layout(parts), panel),
    f"{monte_carlo_draws} twins: mean of each part of TWFE's bias, with Monte Carlo s.e.",
    notes=f"Data: {monte_carlo_draws} SYNTHETIC twins. {decomposition_notes}",
)

# %% tags=["hide-input"]
total = parts.loc["all comparisons"]
i18n.glue(
    "teach_dec_total",
    teaching.with_se(total["total"], total["total MC s.e."], 4),
    prose_zh.with_se(total["total"], total["total MC s.e."], 4),
)
for part, key in zip(PARTS, ("weighting", "forbidden", "noise"), strict=True):
    i18n.glue(
        f"teach_dec_{key}",
        teaching.with_se(total[part], total[f"{part} MC s.e."], 4),
        prose_zh.with_se(total[part], total[f"{part} MC s.e."], 4),
    )
weighting_share = abs(total[PARTS[0]]) / (abs(total[PARTS[0]]) + abs(total[PARTS[1]]))
i18n.glue(
    "teach_dec_larger",
    "variance weighting" if weighting_share > 0.5 else "the forbidden comparisons",
    "方差加权" if weighting_share > 0.5 else "“禁止的”比较",
)
i18n.glue(
    "teach_dec_noise_where",
    teaching.against(total[PARTS[2]], total[f"{PARTS[2]} MC s.e."], 0.0, "zero"),
    prose_zh.against(total[PARTS[2]], total[f"{PARTS[2]} MC s.e."], 0.0, "zero"),
)
clean = parts.loc[parts.index != "all comparisons"]
top = clean["mean weight"].astype(float).idxmax()
i18n.glue("teach_dec_top_type", top, i18n.table_catalogue().get(top, top))
glue("teach_dec_top_weight", tables.number(clean.loc[top, "mean weight"], 3), display=False)
early = int(truth.by_cohort.index.min())
largest = truth.by_cohort.idxmax() == early
i18n.glue(
    "teach_dec_why",
    "TWFE weights a batch in them by its size times the variance of its treatment, "
    "D̄(1 − D̄) (D̄ the share of years it is treated); the ATT weights it by its treated "
    "city-years, size times D̄. Relative to the ATT, TWFE therefore down-weights the "
    f"batches treated longest — here the {early} batch"
    + (", which also has the largest effect." if largest else ".")
    if top == "Treated vs Untreated"
    else "Their weights differ from the batches' shares of treated city-years.",
    "在这类比较中，TWFE 对一个批次的加权等于其规模乘以其处理变量的方差 D̄(1 − D̄)（D̄ 为它"
    "受处理年份所占的比例）；ATT 则按它受处理的城市—年份加权，即规模乘以 D̄。因此相对于 "
    f"ATT，TWFE 降低了受处理时间最长的批次的权重——这里是 {early} 批次"
    + ("，它的效应也最大。" if largest else "。")
    if top == "Treated vs Untreated"
    else "它们的权重不同于各批次在受处理城市—年份中所占的份额。",
)

# %% [markdown]
# On the twin, TWFE's mean bias over the draws is {glue:text}`teach_dec_total`. Variance
# weighting contributes {glue:text}`teach_dec_weighting`, the forbidden comparisons
# {glue:text}`teach_dec_forbidden`, and noise {glue:text}`teach_dec_noise` —
# {glue:text}`teach_dec_noise_where` (with parallel trends its mean is zero). With these
# knobs the larger part comes from {glue:text}`teach_dec_larger`. Most of the weight
# ({glue:text}`teach_dec_top_weight`) sits on the comparisons of type
# {glue:text}`teach_dec_top_type`. {glue:text}`teach_dec_why` The first two parts are the same in every draw (the weights depend
# only on who is treated when, the effects are not random); only the noise part varies.
# Forbidden comparisons matter most when there is little else to compare with — next.
#
# ## No never-treated cities: TWFE fails visibly
#
# Many studies keep only the units that are eventually treated. The knob
# `all_treated=True` keeps only the pilot cities: after the last batch's first year every
# city is treated, and every comparison is between batches.

# %% tags=["hide-input"]
design_all = montecarlo.Design(
    {**knobs, "all_treated": True}, estimators=("twfe", "cs_notyet", "sun_abraham", "imputation")
)
twin_all = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**design_all.knobs))
one_all = pd.DataFrame(montecarlo.simulate_draw({"seed": seed, "draw": 0}, design_all))
one_all["estimator"] = one_all["estimator"].map(mv.ESTIMATOR_LABELS)
one_all["estimate"] = one_all["estimate"].apply(tables.number, digits=4)
first_sentence = one_all["error"].str.split(": ", n=1).str[-1]
one_all["error"] = first_sentence.str.split(". ", n=1, regex=False).str[0]
tables.show(
    tables.labelled(
        one_all.set_index("estimator")[["estimate", "status", "error"]], twin_all.panel()
    ),
    "Pilot cities only (one twin): what each estimator returns",
)

# %% tags=["hide-input"]
parts_all = teaching.decomposition_summary(
    teaching.run_fast("decomposition", design_all, monte_carlo_draws)
)
tables.show(
    tables.labelled(teaching.decomposition_layout(parts_all), twin_all.panel()),
    f"Pilot cities only, {monte_carlo_draws} twins: mean of each part of TWFE's bias",
    notes=f"Data: {monte_carlo_draws} SYNTHETIC twins, pilot cities only. {decomposition_notes}",
)

# %% tags=["hide-input"]
everything = parts_all.loc["all comparisons"]
att_all = twin_all.truth.att
i18n.glue(
    "teach_all_bias",
    teaching.with_se(everything["total"], everything["total MC s.e."], 3),
    prose_zh.with_se(everything["total"], everything["total MC s.e."], 3),
)
i18n.glue(
    "teach_all_ratio",
    f"{100 * abs(everything['total']) / att_all:.0f}% of the effect (Monte Carlo s.e. "
    f"{100 * everything['total MC s.e.'] / att_all:.1f} points)",
    f"相当于效应的 {100 * abs(everything['total']) / att_all:.0f}%（蒙特卡洛标准误 "
    f"{100 * everything['total MC s.e.'] / att_all:.1f} 个百分点）",
)
glue("teach_all_att", tables.number(att_all, 3), display=False)
i18n.glue(
    "teach_all_mean",
    teaching.with_se(att_all + everything["total"], everything["total MC s.e."], 3),
    prose_zh.with_se(att_all + everything["total"], everything["total MC s.e."], 3),
)
forbidden_all = (
    parts_all.loc["all comparisons", PARTS[1]],
    parts_all.loc["all comparisons", f"{PARTS[1]} MC s.e."],
    3,
)
i18n.glue(
    "teach_all_forbidden",
    teaching.with_se(
        parts_all.loc["all comparisons", PARTS[1]],
        parts_all.loc["all comparisons", f"{PARTS[1]} MC s.e."],
        3,
    ),
    prose_zh.with_se(*forbidden_all),
)
failed = one_all.loc[one_all["status"] != "ok", "estimator"].tolist()
i18n.glue(
    "teach_all_refuse",
    " and ".join(failed) if failed else "none of the others",
    prose_zh.estimator_names(failed),
)
glue("teach_all_cities", twin_all.panel().frame["city_id"].nunique(), display=False)
twfe_warning = one_all.set_index("estimator").loc["TWFE", "warning"]
i18n.glue(
    "teach_all_warning",
    f'with the warning "{twfe_warning}"' if twfe_warning else "and no warning",
    f"并给出警告“{twfe_warning}”" if twfe_warning else "且没有给出警告",
)
i18n.glue(
    "teach_all_effects",
    teaching.describe_effects(twin_all.truth, design_all.knobs)
    .split(":")[0]
    .removeprefix("On this twin "),
    prose_zh.describe_effects(twin_all.truth, design_all.knobs)
    .split("：")[0]
    .removeprefix("在这组孪生数据上，"),
)

# %% [markdown]
# On the {glue:text}`teach_all_cities` pilot cities alone, TWFE averages
# {glue:text}`teach_all_mean` against a true ATT of {glue:text}`teach_all_att`: a bias of
# {glue:text}`teach_all_bias`, {glue:text}`teach_all_ratio`, {glue:text}`teach_all_warning`.
# The forbidden comparisons alone contribute {glue:text}`teach_all_forbidden`: the early
# batches are the only controls left for the late batch, and on this twin
# {glue:text}`teach_all_effects`.
# The robust estimators do not paper over the gap: {glue:text}`teach_all_refuse` refuse
# the panel (no never-treated city, or no untreated city in the last years, so those
# years' effects are not identified). Callaway–Sant'Anna with not-yet-treated controls
# returns a number, but only the batch-years before the last batch's pilot have a
# not-yet-treated control, so it cannot estimate the ATT of all treated city-years
# either.
#
# ## The event study with a known truth

# %% tags=["remove-stderr"] mystnb={"figure": {"caption": "TWFE event study on a synthetic twin with batch-specific, growing effects, against the true average effect by years since the pilot (dashed). SYNTHETIC data.", "name": "fig-teaching-event-study"}, "image": {"alt": "TWFE event study on a synthetic twin with batch-specific, growing effects, against the true average effect by years since the pilot (dashed)"}}
study = event_study(frame, "nqp", **columns, window=(-6, 6), seed=seed)
fig = figures.label(figures.event_study_plot(study.table, truth.by_event_time), panel)

# %% tags=["hide-input"]
# The Monte Carlo studies behind the exercises' solutions: each changes one knob of this
# chapter's design and repeats the experiment on `exercise_draws` twins (all at once).
R = exercise_draws
base = {k: v for k, v in knobs.items() if k != "all_treated"}  # exercises keep every city
homogeneous = {  # no anticipation, pre-trend or confounding, whatever the knobs above
    **base,
    "cohort_effects": {2014: 0.12, 2015: 0.12, 2016: 0.12},
    "dynamic_slope": 0.0,
    "anticipation": 0,
    "pretrend": 0.0,
    "conditional_trends": False,
}
homo_design = montecarlo.Design(homogeneous)
homo_twins = montecarlo.draw_twins(homo_design, R)  # ex. 11.1, 11.5 and 11.6 share them
homo = teaching.run_fast("decomposition", homo_design, R, homo_twins)
homo_total = homo.groupby("draw")[["total", *PARTS]].sum()
homo_bias = teaching.summarise_mean(homo_total["total"])
i18n.glue("ex_homo_bias", teaching.with_se(*homo_bias, 4), prose_zh.with_se(*homo_bias, 4))
i18n.glue(
    "ex_homo_where",
    teaching.against(*homo_bias, 0.0, "the truth"),
    prose_zh.against(*homo_bias, 0.0, "the truth"),
)
glue(
    "ex_homo_system",
    tables.number(float(homo_total[[PARTS[0], PARTS[1]]].abs().to_numpy().max()), 4),
    display=False,
)
glue("ex_draws", R, display=False)

pretests = {}
for slope in (0.02, 0.005):
    rows = teaching.run_fast("pretest", montecarlo.Design({**homogeneous, "pretrend": slope}), R)
    pretests[slope] = rows
    rate = teaching.summarise_rate(rows["pretest_p"] < 0.05)
    i18n.glue(
        f"ex_pre_reject_{str(slope).replace('.', '')}",
        teaching.percent_with_se(*rate),
        prose_zh.percent_with_se(*rate),
    )
small = pretests[0.005]
small_rate = teaching.summarise_rate(small["pretest_p"] < 0.05)
i18n.glue(
    "ex_pre_power", teaching.power_sentence(*small_rate), prose_zh.power_sentence(*small_rate)
)
passed = small["pretest_p"] >= 0.05
first_pilot = min(truth.by_cohort.index)
first_year = panel.frame["year"].min()
i18n.glue(
    "ex_pre_years",
    f"{first_year} and {first_pilot - 1}",
    f"{first_year} 年和 {first_pilot - 1} 年",
)
glue(
    "ex_pre_violation",
    tables.number(0.005 * (first_pilot - 1 - panel.frame["year"].min()), 3),
    display=False,
)
error = small["twfe"] - small["att"]
error_all = teaching.summarise_mean(error)
error_passed = teaching.summarise_mean(error[passed]) if passed.sum() > 1 else (np.nan, np.nan)
pass_rate = teaching.summarise_rate(passed)
i18n.glue(
    "ex_roth_pass", teaching.percent_with_se(*pass_rate), prose_zh.percent_with_se(*pass_rate)
)
i18n.glue("ex_roth_all", teaching.with_se(*error_all, 4), prose_zh.with_se(*error_all, 4))
i18n.glue(
    "ex_roth_passed",
    teaching.with_se(*error_passed, 4)
    if passed.sum() > 1
    else "not defined (fewer than two draws passed)",
    prose_zh.with_se(*error_passed, 4) if passed.sum() > 1 else "未定义（通过检验的抽样不足两次）",
)
for which, mean_se in (("all", error_all), ("passed", error_passed)):
    i18n.glue(
        f"ex_roth_where_{which}",
        teaching.against(*mean_se, 0.0, "the truth"),
        prose_zh.against(*mean_se, 0.0, "the truth"),
    )
roth_gap = teaching.selection_gap(error, passed)
i18n.glue(
    "ex_roth_lesson",
    teaching.pretest_lesson(*roth_gap, error_all[0]),
    prose_zh.pretest_lesson(*roth_gap, error_all[0]),
)

# %% tags=["hide-input"]
homo_draws = montecarlo.run_fast(montecarlo.Design(homogeneous, ("twfe",)), R, homo_twins)
z = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
se_twfe = teaching.summarise_mean(homo_draws["se"])
mde = z * se_twfe[0]
indirect = synthetic.make_twin(
    seed=seed,
    knobs=synthetic.Knobs(**{**homogeneous, "cohort_effects": {2014: 0.0, 2015: 0.0, 2016: 0.0}}),
).truth.att
at_mde = {**homogeneous, "cohort_effects": {b: mde - indirect for b in (2014, 2015, 2016)}}
power_draws = montecarlo.run_fast(montecarlo.Design(at_mde, estimators=("twfe",)), R)
power = montecarlo.summarise(power_draws).loc["TWFE"]
i18n.glue("ex_mde_se", teaching.with_se(*se_twfe, 4), prose_zh.with_se(*se_twfe, 4))
i18n.glue(
    "ex_mde",
    teaching.with_se(mde, z * se_twfe[1], 4),
    prose_zh.with_se(mde, z * se_twfe[1], 4),
)
glue("ex_mde_z", tables.number(z, 2), display=False)
power_rate = (power["power"], power["power MC s.e."])
i18n.glue(
    "ex_mde_power", teaching.percent_with_se(*power_rate), prose_zh.percent_with_se(*power_rate)
)
i18n.glue(
    "ex_mde_where",
    teaching.against(*power_rate, 0.80, "the planned 80%"),
    prose_zh.against(*power_rate, 0.80, "the planned 80%"),
)

clus = teaching.run_fast("clustering", homo_design, R, homo_twins)  # no bias: coverage = s.e.
clus["covered"] = (clus["lower"] <= clus["att"]) & (clus["att"] <= clus["upper"])
by_level = {lv: clus[clus["cluster"] == lv].set_index("draw") for lv in ("city", "province")}
coverage = {lv: teaching.summarise_rate(d["covered"]) for lv, d in by_level.items()}
for level, d in by_level.items():
    i18n.glue(
        f"ex_cl_cover_{level}",
        teaching.percent_with_se(*coverage[level]),
        prose_zh.percent_with_se(*coverage[level]),
    )
    level_se = teaching.summarise_mean(d["se"])
    i18n.glue(f"ex_cl_se_{level}", teaching.with_se(*level_se, 4), prose_zh.with_se(*level_se, 4))
    glue(f"ex_cl_n_{level}", int(d["n_clusters"].iloc[0]), display=False)
    glue(f"ex_cl_treated_{level}", int(d["treated_clusters"].iloc[0]), display=False)
spread = teaching.sd_with_se(by_level["city"]["estimate"])
i18n.glue("ex_cl_sd", teaching.with_se(*spread, 4), prose_zh.with_se(*spread, 4))
se_gap = teaching.summarise_mean(by_level["province"]["se"] - by_level["city"]["se"])
i18n.glue("ex_cl_se_gap", teaching.with_se(*se_gap, 4), prose_zh.with_se(*se_gap, 4))
lesson_args = (
    coverage,
    {lv: float(d["se"].mean()) for lv, d in by_level.items()},
    spread[0],
    se_gap,
    {lv: int(d["treated_clusters"].iloc[0]) for lv, d in by_level.items()},
)
i18n.glue(
    "ex_cl_lesson",
    teaching.clustering_lesson(*lesson_args),
    prose_zh.clustering_lesson(*lesson_args),
)

# %% tags=["hide-input"]
conditional = {**base, "conditional_trends": True}
conditional_design = montecarlo.Design(conditional, estimators=("twfe", "imputation", "cs_never"))
conditional_twins = montecarlo.draw_twins(conditional_design, R, controls=True)
plain = montecarlo.run_fast(conditional_design, R, conditional_twins)
adjusted = montecarlo.run_fast(  # the same twins, with the six controls
    montecarlo.Design(conditional, estimators=("cs_never",), controls=tuple(CONTROLS)),
    R,
    conditional_twins,
)
errors = {e: (d["estimate"] - d["truth"]).to_numpy() for e, d in plain.groupby("estimator")}
heterogeneity = own.loc["TWFE", ["bias", "bias MC s.e."]].astype(float).to_numpy()
confounding = teaching.summarise_mean(errors["imputation"])  # imputation: confounding only
closer = teaching.closer_to_zero(errors["twfe"], errors["imputation"])
offset = (heterogeneity, confounding, closer)
i18n.glue("ex_cond_offset", teaching.offset_sentence(*offset), prose_zh.offset_sentence(*offset))
for name, table in (("plain", plain), ("dr", adjusted)):
    for estimator, d in table.groupby("estimator"):
        mean_se = teaching.summarise_mean(d["estimate"] - d["truth"])
        i18n.glue(
            f"ex_cond_{name}_{estimator}",
            teaching.with_se(*mean_se, 4),
            prose_zh.with_se(*mean_se, 4),
        )
        i18n.glue(
            f"ex_cond_{name}_{estimator}_where",
            teaching.against(*mean_se, 0.0, "the truth"),
            prose_zh.against(*mean_se, 0.0, "the truth"),
        )
i18n.glue(
    "ex_cond_confounding",
    teaching.confounding_sentence(confounding),
    prose_zh.confounding_sentence(confounding),
)
with_controls = (adjusted["estimate"] - adjusted["truth"]).to_numpy()
i18n.glue(
    "ex_cond_dr_part",
    teaching.controls_left_sentence(with_controls),
    prose_zh.controls_left_sentence(with_controls),
)
i18n.glue(  # paired: the same twins with and without the controls
    "ex_cond_dr_versus",
    teaching.controls_change_sentence(with_controls, errors["cs_never"]),
    prose_zh.controls_change_sentence(with_controls, errors["cs_never"]),
)

timing = teaching.run_fast(
    "timing", montecarlo.Design({**base, "anticipation": max(anticipation, 2)}), R
)
for dating, d in timing.groupby("dating"):
    mean_se = teaching.summarise_mean(d["estimate"] - d["truth"])
    i18n.glue(f"ex_time_{dating}", teaching.with_se(*mean_se, 4), prose_zh.with_se(*mean_se, 4))
    i18n.glue(
        f"ex_time_{dating}_where",
        teaching.against(*mean_se, 0.0, "its truth"),
        prose_zh.against(*mean_se, 0.0, "its truth"),
    )
glue("ex_time_lead", max(anticipation, 2), display=False)

twfe_row = own.loc["TWFE"]
glue("ex_mc_se", tables.number(twfe_row["bias MC s.e."], 4), display=False)
glue(
    "ex_mc_se_50",
    tables.number(twfe_row["bias MC s.e."] * np.sqrt(monte_carlo_draws / 50), 4),
    display=False,
)

# %% [markdown]
# ## Exercises
#
# Each solution quotes a Monte Carlo on {glue:text}`teach_exercise_draws` twins run
# above, on this chapter's design with the knobs the exercise names (the exercises with
# homogeneous effects also switch anticipation, pre-trends and conditional trends off),
# every mean and rate with its Monte Carlo standard error; a lesson is stated only where
# the numbers show it beyond that error.
#
# :::{exercise}
# :label: ex-homogeneous
# Set `cohort_effects = {2014: 0.12, 2015: 0.12, 2016: 0.12}` and `dynamic_slope = 0`.
# Is TWFE unbiased now? What happens to the variance-weighting and forbidden-comparison
# parts of its bias?
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises homogeneous_bias`.
#
# :::{solution} ex-homogeneous
# :class: dropdown
# With a constant effect every 2×2 comparison estimates the same effect: the weights no
# longer matter and an already-treated control's effect does not change, so both parts
# are zero (largest absolute value over the draws {glue:text}`ex_homo_system`). TWFE's
# mean error is {glue:text}`ex_homo_bias`, {glue:text}`ex_homo_where`.
# :::
#
# :::{exercise}
# :label: ex-anticipation
# Set `anticipation = 2`: the effect starts when the pilot is announced, two years
# before it is implemented. Estimate with the cohort dated at implementation (the pilot
# year) and at announcement (two years earlier). Which is biased, and why?
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises anticipation_bias`.
#
# :::{solution} ex-anticipation
# :class: dropdown
# Dated at implementation, the years between announcement and implementation count as
# untreated although they are already affected, and they contaminate the comparison: the imputation estimator's mean
# error is {glue:text}`ex_time_implementation` ({glue:text}`ex_time_implementation_where`).
# Dated at announcement ({glue:text}`ex_time_lead` years earlier), against the effect of
# the city-years from the announcement on, it is {glue:text}`ex_time_announcement`
# ({glue:text}`ex_time_announcement_where`). In an event study the same contamination
# shifts every coefficient, because the reference year (−1) is itself treated; date
# treatment at announcement or move the reference year before it.
# :::
#
# :::{exercise}
# :label: ex-pretrend
# With homogeneous effects (as in {ref}`ex-homogeneous`), set `pretrend = 0.02` (pilot
# cities growing 0.02 per year faster before their pilot). Does the TWFE event study's
# joint pre-trend test reject? Try `0.005`. What does this say
# about reading a non-rejection as evidence for {term}`parallel trends`?
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises pretrend_reject`.
#
# :::{solution} ex-pretrend
# :class: dropdown
# At 0.02 per year the joint F test rejects at 5% in {glue:text}`ex_pre_reject_002`. At
# 0.005 it rejects in {glue:text}`ex_pre_reject_0005`, yet that violation accumulates to
# {glue:text}`ex_pre_violation` between {glue:text}`ex_pre_years`.
# {glue:text}`ex_pre_power`; a non-rejection is not evidence of parallel trends, which
# is why the {term}`sensitivity analysis` asks how large a violation the conclusion
# survives instead.
# :::
#
# :::{exercise}
# :label: ex-pretest
# Keep `pretrend = 0.005`. Report TWFE's error only in the draws whose pre-trend test does
# not reject — what a literature that publishes only "clean" event studies would show.
# Is it smaller than over all draws? (Read {cite}`roth_2022_pretest`.)
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises pretest_pass`.
#
# :::{solution} ex-pretest
# :class: dropdown
# The pre-test passes in {glue:text}`ex_roth_pass`. Over all draws TWFE's mean error is
# {glue:text}`ex_roth_all` ({glue:text}`ex_roth_where_all`); over the draws that pass, it
# is {glue:text}`ex_roth_passed` ({glue:text}`ex_roth_where_passed`). Compared directly,
# {glue:text}`ex_roth_lesson`. Passing never removes the violation, which is the same in
# every draw. Roth shows that the estimates reported after a passed pre-test can be
# *more* biased than the unconditional ones and their intervals undercover — a pre-test
# is a filter on noise, not a check of the assumption.
# :::
#
# :::{exercise}
# :label: ex-power
# With homogeneous effects (as in {ref}`ex-homogeneous`), what is the smallest effect
# TWFE detects with 80% power at the 5% level? Set every batch's effect to it and check
# the rejection rate.
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises coverage,mde`.
#
# :::{solution} ex-power
# :class: dropdown
# The minimum detectable effect is (z₀.₉₇₅ + z₀.₈₀) × s.e., here {glue:text}`ex_mde_z` ×
# mean TWFE standard error over the draws, {glue:text}`ex_mde_se`, which gives
# {glue:text}`ex_mde`.
# At that total effect TWFE rejects zero in {glue:text}`ex_mde_power`,
# {glue:text}`ex_mde_where`. The twin's effect also runs through `innovp`, so the batch
# effects are set to the MDE minus that indirect part.
# :::
#
# :::{exercise}
# :label: ex-clustering
# With homogeneous effects (as in {ref}`ex-homogeneous`, so TWFE is unbiased and
# coverage measures the standard errors alone), cluster TWFE by city and by province.
# Which intervals cover the true ATT about 95% of
# the time? How many clusters, and how many *treated* clusters, does each have?
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises coverage`.
#
# :::{solution} ex-clustering
# :class: dropdown
# City clusters ({glue:text}`ex_cl_n_city`, of which {glue:text}`ex_cl_treated_city`
# treated): mean s.e. {glue:text}`ex_cl_se_city`, coverage {glue:text}`ex_cl_cover_city`.
# Province clusters ({glue:text}`ex_cl_n_province`, {glue:text}`ex_cl_treated_province`
# with a pilot city): mean s.e. {glue:text}`ex_cl_se_province`, coverage
# {glue:text}`ex_cl_cover_province`. Intervals cover about 95% only when the mean s.e. is
# close to the spread of the estimates over the draws, here {glue:text}`ex_cl_sd` (its
# standard deviation). The twin has province-by-year shocks, which city clusters ignore
# and province clusters allow for; province minus city, the mean s.e. differs by
# {glue:text}`ex_cl_se_gap`. So {glue:text}`ex_cl_lesson`. Cluster-robust tests
# over-reject when few clusters are treated, however many clusters there are, and the
# wild cluster bootstrap is the remedy then {cite}`mackinnon_webb_2017`.
# :::
#
# :::{exercise}
# :label: ex-conditional
# Set `conditional_trends = True` (the book's default twin). Now the controls move the
# outcome and trend with pilot status. What happens to the estimators run without
# controls?
# :::
#
# In the {ref}`classroom kit <classroom-kit>`: `--exercises conditional_bias`.
#
# :::{solution} ex-conditional
# :class: dropdown
# Parallel trends now hold only conditional on the controls. Without them TWFE's mean
# error is {glue:text}`ex_cond_plain_twfe` ({glue:text}`ex_cond_plain_twfe_where`), the
# imputation estimator's {glue:text}`ex_cond_plain_imputation`
# ({glue:text}`ex_cond_plain_imputation_where`): {glue:text}`ex_cond_confounding`. TWFE also carries its heterogeneity bias
# ({glue:text}`teach_bias_twfe` with `conditional_trends = False`,
# {glue:text}`teach_where_twfe`): {glue:text}`ex_cond_offset`.
# :::
#
# :::{exercise}
# :label: ex-cs-covariates
# Still with `conditional_trends = True`, run Callaway–Sant'Anna without and with the six
# controls (`callaway_santanna(..., controls=CONTROLS, est_method="dr")`, doubly robust).
# :::
#
# Not graded in the {ref}`classroom kit <classroom-kit>`, which says why.
#
# :::{solution} ex-cs-covariates
# :class: dropdown
# Without controls its mean error is {glue:text}`ex_cond_plain_cs_never`
# ({glue:text}`ex_cond_plain_cs_never_where`); with them, doubly robust, it is
# {glue:text}`ex_cond_dr_cs_never` ({glue:text}`ex_cond_dr_cs_never_where`;
# {glue:text}`ex_cond_dr_versus`). Callaway–Sant'Anna conditions on the controls' values
# in the base year. In this twin the controls of pilot cities also trend differently
# and shift when the pilot starts, and base-year values cannot capture what happens
# after it; {glue:text}`ex_cond_dr_part`. Time-varying controls that the pilot moves are "bad controls" for
# any estimator: say which covariates are pre-treatment before adding them.
# :::
#
# :::{exercise}
# :label: ex-monte-carlo
# Lower `monte_carlo_draws` to 50. Does the TWFE bias change? Does its Monte Carlo
# standard error?
# :::
#
# Not graded in the {ref}`classroom kit <classroom-kit>`, which says why.
#
# :::{solution} ex-monte-carlo
# :class: dropdown
# The bias is a property of the estimator under this data-generating process and stays
# (up to noise); its Monte Carlo standard error, {glue:text}`ex_mc_se` with
# {glue:text}`teach_draws` twins, moves like one over the square root of the draws: to
# about {glue:text}`ex_mc_se_50` with 50.
# :::
