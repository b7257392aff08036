# %% [markdown]
# (ch-multiverse)=
# # How robust is the answer?
#
# The paper publishes {glue:text}`mv_paper_regressions` regressions (Tables 2–4). A
# careful researcher could have made many other defensible choices: other controls,
# other fixed effects, another reading of the pilot lists, another sample window,
# another clustering, a heterogeneity-robust estimator.
# This chapter estimates **all of them at once** — a *specification curve*
# {cite}`simonsohn_2020` or *multiverse analysis* {cite}`steegen_2016` — and
# asks whether the answer survives every choice, and which choices move it most.
#
# The space is data: one row per specification, each with a stable hash, built by
# `replicate.multiverse.space()`. This page estimates every one of them while the book is
# built ({glue:text}`mv_provenance`). The runner (`replicate multiverse`) spreads the
# specifications over a Dask cluster — the cores of a laptop by default, or any running
# cluster with `--scheduler ADDRESS` — and stores each result under its hash, so an
# interrupted run resumes where it stopped.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
pilots = None  # None: the Broadband China lists; or a CSV of city, first_year (--pilots)
results = ""  # file from `replicate multiverse --export`; "": estimate every specification now
scheduler = "local"  # "serial", "local" (Dask, one worker per core) or a scheduler address
workers = 2  # workers of the local cluster

# %% tags=["hide-input", "remove-stderr"]
import pandas as pd
from IPython.display import display

from replicate import i18n, multiverse, paper
from replicate.data import load_panel
from replicate.report import figures, prose_zh, tables
from replicate.report.glue import glue

figures.use_style()
panel = load_panel(data, pilots=pilots)
if results:
    mv = multiverse.load(results)
    provenance = f"{len(mv.table):,} specifications read from {results}"
    provenance_zh = f"从 {results} 读取 {len(mv.table):,} 个设定"
else:
    mv, report = multiverse.run_multiverse(
        panel, scheduler=scheduler, workers=workers, progress=False
    )
    provenance = f"{report.computed:,} specifications estimated in {report.seconds:.0f} s on " + (
        "this process" if scheduler == "serial" else f"Dask ({scheduler}, {workers} workers)"
    )
    provenance_zh = (
        "在本进程中"
        if scheduler == "serial"
        else f"在本机的 Dask 集群（{workers} 个工作进程）上"
        if scheduler == "local"
        else f"在 Dask 集群 {scheduler} 上"
    ) + f"用 {report.seconds:.0f} 秒估计了 {report.computed:,} 个设定"
if mv.data_hash != multiverse.prepare(panel).fingerprint:
    raise ValueError(f"{results} was computed on other data than {panel.label}; rerun the CLI.")
label_zh = i18n.translate_table_text(mv.label, i18n.table_catalogue())
i18n.glue("mv_provenance", f"{provenance}; data: {mv.label}", f"{provenance_zh}；数据：{label_zh}")
# The pilot codings vary the Broadband China lists (sub-city readings, evidence levels);
# another pilot policy (pilots=FILE) has one coding, its own timing.
codings = multiverse.codings_of(multiverse.prepare(panel))
source = panel.coding.source if codings == ("as in the data",) and panel.coding else None
if source is None:
    i18n.glue(
        "mv_paper_coding",
        "the parent reading of sub-city pilots",
        "对地级以下试点条目按所属地级市解读",
    )
    i18n.glue(
        "mv_codings",
        f"The {len(codings)} pilot codings ({'; '.join(codings)}) read the Broadband China "
        "lists' sub-city entries two ways and keep or drop the entries resting on a single "
        "secondary source.",
        f"{len(codings)} 种试点编码（{'；'.join(map(prose_zh.coding_zh, codings))}）以两种方式解读“宽带中国”名单中的"
        "地级以下试点条目，并保留或删除只有单一二手来源的条目。",
    )
else:
    i18n.glue("mv_paper_coding", f"the timing of {source}", f"{source} 的处理时点")
    i18n.glue(
        "mv_codings",
        f"This panel's timing comes from {source}, so the pilot coding has one value, "
        "its timing as in the data: the Broadband China lists' sub-city readings and "
        "evidence levels, which the other codings vary, do not apply to it.",
        f"该面板的处理时点来自 {source}，因此试点编码只有一个取值，即数据中的处理时点："
        "其他编码所改变的“宽带中国”名单地级以下条目解读方式和证据等级不适用于它。",
    )
glue(
    "mv_paper_regressions",
    sum(paper.published(t)["column"].nunique() for t in (2, 3, 4)),
    display=False,
)

# %% [markdown]
# ## The space
#
# Six dimensions, every combination an estimator supports. The paper's own choices are
# one value on each: TWFE, city and year effects, {glue:text}`mv_paper_coding`,
# 2005–2022, city clusters, and the stepwise controls of Table 2 (plus Table 4
# column 1's province-by-year effects). {glue:text}`mv_codings`
#
# The estimators do not all target the same average: TWFE weights treated city-years by
# its regression weights; Callaway–Sant'Anna (doubly robust, "simple" aggregation) and
# the imputation estimator average the effects of treated city-years; Sun–Abraham's
# summary weights each year since the pilot equally (see {ref}`ch-modern-did`). With
# effects that change over time, part of the spread across estimators is a difference
# in estimand, not in robustness.

# %% tags=["hide-input"]
space_table = pd.concat(
    {dim: mv.table.groupby(dim).size() for dim in multiverse.DIMENSIONS},
    names=["dimension", "choice"],
).to_frame("specifications")
tables.show(tables.labelled(space_table, panel), "The choices on each dimension")

# %% [markdown]
# Not every estimator takes every choice. What is left out, and why:

# %% tags=["hide-input"]
excluded = multiverse.exclusions()
reasons = list(dict.fromkeys(excluded["reason"]))  # each reason once, numbered in the notes
excluded["why"] = [f"[{reasons.index(r) + 1}]" for r in excluded["reason"]]
tables.show(
    excluded.set_index("estimator")[["dimension", "choice left out", "why"]],
    "Combinations left out of the space",
    notes="Rules of the specification space, not data. "
    + " ".join(f"[{i}] {r}." for i, r in enumerate(reasons, 1)),
)

# %% [markdown]
# ## The specification curve
#
# Every estimate of the pilot's effect on nqp, sorted, with its 95% interval (blue where
# it excludes zero). The diamonds are the paper's own specifications estimated on these
# data (not the paper's published numbers); on the synthetic
# twin, the dashed line is the true average effect on treated city-years it was
# generated with. Below, each row is one choice; a mark means the specification above
# made it.

# %% mystnb={"figure": {"caption": "Specification curve: every estimate of the pilot's effect on nqp with its 95% interval, sorted, above the choices that produced it; the paper's specifications, estimated on these data, as diamonds; on the synthetic twin, its true effect dashed.", "name": "fig-specification-curve"}, "image": {"alt": "Specification curve of the pilot's effect on nqp: estimates sorted from smallest to largest with intervals, above an indicator panel of estimator, fixed effects, pilot coding, years, clusters and number of controls"}}
truth = getattr(panel.truth, "att", None)  # the twin knows its true effect; your data do not
fig = multiverse.specification_curve(mv, truth=truth)

# %% tags=["hide-input"]
summary = multiverse.robustness_summary(mv, truth=truth)
SHORT_ESTIMATORS = {
    "twfe": "TWFE",
    "cs_never": "CS never",
    "cs_notyet": "CS not-yet",
    "sun_abraham": "SA",
    "imputation": "BJS",
}
ESTIMATOR_NOTE = (
    "CS never / not-yet: Callaway–Sant'Anna with never-treated / not-yet-treated controls; "
    "SA: Sun–Abraham; BJS: imputation (Borusyak–Jaravel–Spiess)."
)
texts = multiverse.summary_glue(mv, summary, truth)
texts_zh = prose_zh.summary_glue(mv, summary, truth)
if source is not None and panel.synthetic:  # the twin's outcomes follow Broadband China
    texts["mv_truth"] = (
        f"The twin's outcomes were generated with the Broadband China timing, not with "
        f"{source}'s, so no true effect applies to these estimates and none is drawn."
    )
    texts_zh["mv_truth"] = (
        f"孪生数据的结果变量是按宽带中国的处理时点生成的，而不是按 {source} 的时点，"
        "因此这些估计没有可对照的真实效应，图中也不画出。"
    )
for key, text in texts.items():
    if key in texts_zh:
        i18n.glue(key, text, texts_zh[key])
    else:
        glue(key, text, display=False)
short = {multiverse.ESTIMATOR_LABELS[k]: v for k, v in SHORT_ESTIMATORS.items()}
narrow = summary.rename(index=short)
display(  # two tables in one cell
    tables.show(
        tables.labelled(
            narrow[["specifications", "with s.e.", "median estimate"]].rename(
                columns={"specifications": "specs", "median estimate": "median"}
            ),
            panel,
        ),
        f"How many, and their median — {mv.label}",
        decimals=3,
        notes=f"Data: {tables.data_label(panel)}. specs: specifications estimated; with "
        "s.e.: those with a standard error; median: their median estimate. " + ESTIMATOR_NOTE,
    )
)
shares = {
    "same sign": "sign",
    "significant (5%)": "signif.",
    "same sign and significant": "both",
    "interval covers the truth": "covers",
}
tables.show(
    tables.labelled(narrow[[c for c in shares if c in narrow]].rename(columns=shares), panel),
    f"How often the answer survives — {mv.label}",
    decimals=3,
    notes=f"Data: {tables.data_label(panel)}. sign: share with the sign of the paper's main "
    "specification (Table 2 column 7, estimated on these data); signif.: share of the "
    "specifications with a standard error whose 95% interval excludes zero; both: same sign "
    "and significant"
    + (
        "; covers: share of 95% intervals that cover the twin's true effect. "
        if truth is not None
        else ". "
    )
    + ESTIMATOR_NOTE,
)

# %% [markdown]
# Of {glue:text}`mv_n` specifications, {glue:text}`mv_same_sign` estimate an effect with
# the sign of the paper's main specification, {glue:text}`mv_significant` are
# significant at 5%, and {glue:text}`mv_both` are both. The median estimate is
# {glue:text}`mv_median`; 90% of the estimates range from {glue:text}`mv_range`. The
# paper's own {glue:text}`mv_paper_n` specifications (Table 2's seven columns and Table 4
# column 1) published estimates from {glue:text}`mv_published_range`; estimated on
# {glue:text}`mv_data`, the same specifications give {glue:text}`mv_paper_range`.
# {glue:text}`mv_truth`
#
# ## Which choices move the estimate?
#
# A simple variance decomposition over the dimensions: how much of the spread of the
# estimates each dimension explains on its own (η², the between-choice share of the
# variance), and how much it adds last to an additive model of all dimensions. The space
# is not fully crossed, so the "alone" shares need not sum to the total.

# %% tags=["hide-input"]
tables.show(
    tables.labelled(multiverse.variance_decomposition(mv).astype(object).fillna("—"), panel),
    f"Variance of the estimate explained by each choice — {mv.label}",
    decimals=3,
    notes=f"Data: {tables.data_label(panel)}. The last row is the R² of the additive model "
    "of all dimensions (under alone); a number of choices and a ΔR² are not defined for it "
    "(—).",
)

# %% [markdown]
# The estimates by choice, dimension by dimension (median and the range of the middle
# half):

# %% tags=["hide-input"]
by_choice = pd.concat(
    {
        dim: mv.ok.groupby(dim)["estimate"].describe()[["count", "25%", "50%", "75%"]]
        for dim in multiverse.DIMENSIONS
        if dim != "controls"
    }
)
by_choice["count"] = by_choice["count"].astype(int)
tables.show(
    tables.labelled(by_choice, panel),
    f"Estimates by choice: count, quartiles and median — {mv.label}",
    decimals=3,
)

# %% [markdown]
# ## What failed
#
# A specification that cannot be estimated is recorded with its error and does not stop
# the others. On this run, {glue:text}`mv_failed`

# %% tags=["hide-input"]
failed = mv.table[mv.table["status"] != "ok"]
i18n.glue(
    "mv_failed",
    f"{len(failed):,} of {len(mv.table):,} specifications failed"
    + ("; they are listed below with their error." if len(failed) else "."),
    f"{len(mv.table):,} 个设定中有 {len(failed):,} 个失败"
    + ("；下面列出了它们及其错误。" if len(failed) else "。"),
)
if len(failed):
    tables.show(
        tables.labelled(
            failed[["estimator", "fixed_effects", "pilot_coding", "window", "cluster", "error"]]
            .assign(estimator=failed["estimator"].map(SHORT_ESTIMATORS))
            .set_index("estimator"),
            panel,
        ),
        "Specifications that failed, with their error",
        notes=ESTIMATOR_NOTE,
    )

# %% [markdown]
# ## Run it yourself
#
# On your own panel, with the cores of your machine (a progress bar shows done, failed
# and remaining; rerun the same command after an interruption and only the rest is
# computed):
#
# ```bash
# replicate multiverse --data mypanel.dta --out my-multiverse --export my-multiverse.parquet
# replicate run 10b --data mypanel.dta -p results my-multiverse.parquet
# ```
#
# On a cluster: start a Dask scheduler and workers (by hand, or with `dask-jobqueue` on
# Slurm or `dask-kubernetes`) and pass its address — no code changes:
#
# ```bash
# replicate multiverse --scheduler tcp://scheduler:8786 --controls subsets
# ```
#
# This page runs the same code on {glue:text}`mv_total` specifications each time the book
# is built, so nothing on it can go stale. Results are byte-identical serially and on a
# cluster of any size: seeds come from each specification's hash, and rows are sorted by
# hash before they are written.
