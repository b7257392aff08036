# %% [markdown]
# (ch-robustness)=
# # Robustness checks (Table 4)
#
# The paper checks H1 twice: column (1) adds province and province-by-year fixed
# effects, column (2) adds economic development (`lnpgdp`) and fiscal pressure
# (`fispre`). Discussing Table 4, its text also reports that an alternative nqp
# indicator supports H1, though no column of the table shows it. This
# chapter re-estimates all three, then varies what the paper left fixed:
# {glue:text}`varied_choices`.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
reading = "parent"  # pilot coding of sub-city entries: "parent" or "ignore"
pilots = None  # None: the Broadband China lists; or a CSV of city, first_year (--pilots)
controls = None  # None: the paper's six (schema.CONTROLS), in every column; or [fdi, hum]
cluster = "city_id"  # clusters of the baseline standard errors
rescale = None  # None: mar and fin in percent (schema.REGRESSION_SCALE); {} keeps your units
absorb = None  # None: city and year effects in the two-way columns
wild_draws = 9999  # wild cluster bootstrap draws with province clusters
seed = 20241128  # seed of the wild bootstrap (the book's seed, synthetic.DEFAULT_SEED)

# %% tags=["hide-input"]
from IPython.display import display

import replicate
from replicate import i18n, paper, replication
from replicate.data import load_panel, raw
from replicate.models.inference import wild_cluster_bootstrap
from replicate.report import prose, prose_zh, tables
from replicate.report.glue import glue

panel = load_panel(data, reading=reading, pilots=pilots)
options = replication.options_from(globals())  # the parameters above, defaults resolved
print(panel.summary())
# another pilot policy (pilots=FILE) keeps its own timing: the variants that re-code the
# Broadband China lists (sub-city readings, evidence levels) do not apply to it
skipped = replication.robustness_skipped(panel)
source = panel.coding.source if skipped else None
i18n.glue(
    "varied_choices",
    "the coding of the pilot lists and the clustering"
    if not skipped
    else f"the clustering (this panel's timing comes from {source}, so the codings of the "
    "Broadband China lists are not varied)",
    "试点名单的编码方式和聚类方式"
    if not skipped
    else f"聚类方式（该面板的处理时点来自 {source}，因此不改变“宽带中国”名单的编码）",
)

# %% [markdown]
# ## Table 4, beside the paper
#
# Column (1) is the baseline with `province + province^year` added to the absorbed
# effects; column (2) adds two controls; column (3) is the alternative indicator:

# %% tags=["hide-input"]
tables.formulas_table(
    replication.formulas(4, options["controls"], options["absorb"]), "The formulas of Table 4"
)

# %%
results = replication.estimate(4, panel, **options)
tables.show(replication.paper_table(4, panel, **options))

# %% tags=["hide-input"]
baseline = replication.estimate(2, panel, **options)
base, col1 = baseline[max(baseline)], results[1]
published = paper.published(4).set_index(["column", "variable"])["coef"]
published_base = paper.published(2).set_index(["column", "variable"])["coef"]
cities_per_province = panel.frame.groupby("province")["city_id"].nunique()
single = sorted(cities_per_province[cities_per_province == 1].index)
paper_n = int(published[(1, "N")])
glue("n_singletons", f"{col1.n_singletons:,}", display=False)
glue("n_single", len(single), display=False)
province_zh = raw.cities().drop_duplicates("province_en").set_index("province_en")["province_zh"]
i18n.glue(
    "single_provinces",
    ", ".join(map(str, single)) or "none",
    "、".join(str(province_zh.get(p, p)) for p in single) or "无",
)
glue("n_col1", f"{col1.nobs:,}", display=False)
glue("paper_n_col1", f"{paper_n:,}", display=False)
i18n.glue(
    "n_verdict",
    f"the same count as the paper's {paper_n:,}: evidence that it used reghdfe's "
    "singleton rule and a city list like this book's"
    if col1.nobs == paper_n
    else f"against the paper's {paper_n:,}, so its city list or singleton rule differs "
    "from this book's",
    f"与原文的 {paper_n:,} 个相同：说明原文使用了 reghdfe 的单例观测规则，以及与本书类似的城市名单"
    if col1.nobs == paper_n
    else f"而原文为 {paper_n:,} 个，可见原文的城市名单或单例观测规则与本书不同",
)
glue("did_base", f"{base.params['did']:.3f}", display=False)
glue("did_col1", f"{col1.params['did']:.3f}", display=False)
glue("paper_did_base", f"{published_base[(7, 'did')]:.3f}", display=False)
glue("paper_did_col1", f"{published[(1, 'did')]:.3f}", display=False)
shift = col1.params["did"] - base.params["did"]
within_se = abs(shift) < base.std_errors["did"]
i18n.glue(
    "shift_size",
    f"{'less' if within_se else 'more'} than one standard error "
    f"of the baseline ({base.std_errors['did']:.3f})",
    f"{'小于' if within_se else '大于'}基准回归的一个标准误（{base.std_errors['did']:.3f}）",
)
i18n.glue(
    "truth_sentence",
    prose.describe_province_truth(base, col1, panel)
    if not (skipped and panel.synthetic)
    else f"The twin's outcomes were generated with the Broadband China timing, not with "
    f"{source}'s, so its true effects do not apply to these estimates.",
    prose_zh.describe_province_truth(base, col1, panel)
    if not (skipped and panel.synthetic)
    else f"孪生数据的结果变量是按宽带中国的处理时点生成的，而不是按 {source} 的时点，"
    "因此其真实效应不适用于这些估计。",
)
# the same-sample check: the baseline on column (1)'s sample, without province-by-year effects
same_sample = panel.frame[~panel.frame["province"].isin(single)]
base_same = replication.estimate(2, same_sample, **options)[max(baseline)]
i18n.glue(
    "same_sample",
    prose.describe_same_sample(base, base_same, col1),
    prose_zh.describe_same_sample(base, base_same, col1),
)

# %% [markdown]
# Column (1) uses {glue:text}`n_col1` observations: absorbing province-by-year effects
# makes the {glue:text}`n_singletons` city-years of the {glue:text}`n_single` provinces
# with a single sample city ({glue:text}`single_provinces`) {term}`singleton`s, which
# are dropped as `reghdfe` drops them {cite}`correia_2015_singletons` —
# {glue:text}`n_verdict`.
# Province fixed effects add nothing once city effects are in (every city lies in one
# province); the province-by-year effects are what changes the comparison: pilot cities
# are now compared only with non-pilot cities of the same province in the same year.
#
# In the paper this moves the estimate from {glue:text}`paper_did_base` (Table 2 column 7)
# to {glue:text}`paper_did_col1`. On this panel it moves from {glue:text}`did_base` to
# {glue:text}`did_col1`, {glue:text}`shift_size`. Column (1) changes two things at once,
# the fixed effects and the sample. {glue:text}`same_sample`
#
# {glue:text}`truth_sentence` What a gap between the two columns means depends on what
# produced the data. The twin shows what provincial shocks that arrive with the pilots do
# to the method; on real data a gap like the paper's fits that story, but also
# spillovers to non-pilot cities of the same province, and one table cannot tell them
# apart.
#
# ## The alternative indicator
#
# The paper reports that an alternative nqp indicator also supports H1 but prints no
# column for it. Column (3) of the table above estimates the baseline specification on the
# panel's `nqp_alt` when it has one (the twin does; the index chapter shows how to build
# one from text), with nothing published beside it.
#
# ## Choices the paper does not report
#
# The treatment coding and the clustering are judgement calls. {glue:text}`coding_lead`

# %% tags=["hide-input"]
for line in skipped.values():  # one line for each variant that does not apply
    print(line)
if not skipped:
    weak = replication.weak_evidence_changes(reading)
    display(
        tables.show(
            weak["change"].value_counts().rename("cities").to_frame(),
            "Cities whose pilot year rests on single-source entries only",
            notes="Real data: the official pilot lists and their sources (data/README.md).",
        )
    )

# %% tags=["hide-input"]
i18n.glue(
    "coding_lead",
    "Some pilot entries rest on a single secondary source; leaving them out changes these "
    "cities' first pilot year:"
    if not skipped
    else f"This panel's timing comes from {source}, a list of cities and first years; the "
    f"{len(skipped)} variants that re-code the Broadband China lists (their sub-city "
    "readings and evidence levels) do not apply to it and are skipped:",
    "有些试点条目只有单一的二手来源；去掉这些条目，会改变相应城市的首个试点年份："
    if not skipped
    else f"该面板的处理时点来自 {source}，即一份城市及其首个试点年份的名单；对“宽带中国”名单"
    f"重新编码的 {len(skipped)} 个变体（地级以下条目的解读方式和证据等级）不适用于它，因此跳过：",
)
if skipped:
    i18n.glue(
        "robustness_plan",
        "The table re-estimates the baseline (Table 2's last column) on the file's timing, "
        "with standard errors clustered by city as in the baseline, clustered by province, "
        "or heteroskedasticity-robust without clustering.",
        "下表按该文件的处理时点重新估计基准回归（表 2 最后一列），并分别给出与基准回归相同的"
        "按城市聚类的标准误、按省份聚类的标准误和不聚类的异方差稳健标准误。",
    )
else:
    counts = weak["change"].value_counts()
    n_weak, n_to_control = len(weak), int(counts.get("to control", 0))
    n_later = int(counts.get("later batch", 0))
    weak_batches = sorted(weak["g_all"].unique())
    i18n.glue(
        "robustness_plan",
        f"These {n_weak} cities were coded as pilots from "
        f"{' and '.join(map(str, weak_batches))} entries. Leaving those entries out would "
        f"move {n_to_control} of them to the controls and {n_later} to a later batch. "
        "Recoding them is not neutral: if they were pilots after all, the control group is "
        f"contaminated. The main alternative therefore drops the {n_weak} cities "
        '("weak dropped"); recoding them with the confirmed entries only ("weak recoded") is '
        "the second one. The table re-estimates the baseline (Table 2's last column) under "
        "each choice, and with standard errors clustered by province or "
        "heteroskedasticity-robust without clustering.",
        f"这 {n_weak} 个城市是依据 {'和'.join(f'{g} 年' for g in weak_batches)}名单中的条目编码"
        f"为试点的。去掉这些条目，其中 {n_to_control} 个会进入对照组，{n_later} 个会推迟到较晚"
        "的批次。重新编码并不是中立的：如果它们其实是试点，对照组就被污染了。因此，主要的替代"
        f"方案是删除这 {n_weak} 个城市（“weak dropped”）；只按已确认的条目重新编码（“weak "
        "recoded”）是第二种方案。下表在每种选择下重新估计基准回归（表 2 最后一列），并分别给出"
        "按省份聚类的标准误和不聚类的异方差稳健标准误。",
    )

# %% [markdown]
# {glue:text}`robustness_plan`

# %% tags=["hide-input"]
variants = replication.robustness(panel, reading=reading, **options)
tables.show(replicate.etable(variants, keep=["did"], stats=("N", "clusters")))

# %% tags=["hide-input"]
province = variants["by province"]
frame = replication.regression_frame(panel, options["rescale"])
treated_provinces = frame.loc[frame["did"] == 1, "province"].nunique()
glue("n_provinces", int(province.n_clusters), display=False)
glue("n_treated_provinces", int(treated_provinces), display=False)
# Rademacher weights give 2^G distinct sign patterns: with G ≲ 12 clusters that is too few
# for thousands of draws, and Webb's six-point weights are the usual remedy.
WEBB_BELOW = 12
weights = "webb" if province.n_clusters <= WEBB_BELOW else "rademacher"
G = int(province.n_clusters)
i18n.glue(
    "weights_reason",
    f"with {G} clusters Rademacher weights (±1) have "
    f"2^{G} ≈ {2.0**G:.1e} distinct sign "
    f"patterns, far more than the {wild_draws:,} draws, so the bootstrap uses them; "
    f"Webb's six-point weights are for very few clusters (≤ {WEBB_BELOW}), where "
    "Rademacher's patterns run out"
    if weights == "rademacher"
    else f"with only {G} clusters Rademacher weights (±1) have just "
    f"2^{G} = {2**G:,} distinct sign patterns, "
    "so the bootstrap uses Webb's six-point weights, recommended for so few clusters",
    f"有 {G} 个聚类时，Rademacher 权重（±1）有 2^{G} ≈ {2.0**G:.1e} 种不同的符号组合，"
    f"远多于 {wild_draws:,} 次抽样，因此自助法采用这种权重；Webb 六点权重适用于聚类极少"
    f"（≤ {WEBB_BELOW}）、Rademacher 的符号组合不够用的情形"
    if weights == "rademacher"
    else f"只有 {G} 个聚类时，Rademacher 权重（±1）只有 2^{G} = {2**G:,} 种不同的符号组合，"
    "因此自助法采用 Webb 六点权重，这正是聚类如此之少时推荐的做法",
)
if skipped:
    se = {name: f"{variants[name].std_errors['did']:.3f}" for name in variants}
    i18n.glue(
        "variants_sentence",
        f"On the timing of {source} the baseline estimate is "
        f"{variants['baseline'].params['did']:.3f}; its standard error is {se['baseline']} "
        f"clustered by city, {se['by province']} clustered by province and {se['HC1']} "
        "heteroskedasticity-robust.",
        f"按 {source} 的处理时点，基准估计值为 {variants['baseline'].params['did']:.3f}；"
        f"其标准误按城市聚类为 {se['baseline']}，按省份聚类为 {se['by province']}，"
        f"异方差稳健为 {se['HC1']}。",
    )
else:
    dropped = f"{variants['weak dropped'].params['did']:.3f}"
    recoded = f"{variants['weak recoded'].params['did']:.3f}"
    i18n.glue(
        "variants_sentence",
        f"Dropping the weakly evidenced cities gives {dropped}, recoding them {recoded}, "
        f"against {base.params['did']:.3f} for the baseline.",
        f"删除证据薄弱的城市后，估计值为 {dropped}；重新编码后为 {recoded}；基准回归为 "
        f"{base.params['did']:.3f}。",
    )

# %% [markdown]
# {glue:text}`variants_sentence`
#
# Clustering by province ({glue:text}`n_provinces` clusters, {glue:text}`n_treated_provinces`
# of them with a pilot city) allows correlation among a province's cities. With a few
# dozen clusters the cluster-robust t test can over-reject, so the restricted wild cluster
# bootstrap {cite}`cameron_gelbach_miller_2008` with province clusters is the safer test.
# Its weights: {glue:text}`weights_reason`.

# %%
wild = wild_cluster_bootstrap(
    frame,
    "nqp",
    unit="city_id",
    time="year",
    cohort="g",
    controls=options["controls"],
    cluster="province",
    draws=wild_draws,
    weights=weights,
    seed=seed,
)
t_interval = province.conf_int().loc["did"]
tests = {
    "cluster-robust t": (province.pvalues["did"], t_interval["lower"], t_interval["upper"]),
    f"wild bootstrap ({weights.capitalize()})": (wild.pvalue, *wild.conf_int()),
}
tables.show(
    tables.labelled(tables.p_value_table(tests), panel),
    "The baseline's did with province clusters: two tests",
)

# %% tags=["hide-input"]
glue("wild_p", tables.p_value(wild.pvalue), display=False)
glue("t_p", tables.p_value(float(province.pvalues["did"])), display=False)
glue("wild_ci", "[{:.3f}, {:.3f}]".format(*wild.conf_int()), display=False)
glue("t_ci", "[{:.3f}, {:.3f}]".format(*t_interval), display=False)

# %% [markdown]
# With province clusters the cluster-robust t test gives p {glue:text}`t_p` and the 95%
# interval {glue:text}`t_ci`; the wild bootstrap gives p {glue:text}`wild_p` and
# {glue:text}`wild_ci`.
