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
# `replicate.multiverse.space()`. The runner (`replicate multiverse`) spreads the
# specifications over a Dask cluster — the cores of a laptop by default, or any running
# cluster with `--scheduler ADDRESS` — and stores each result under its hash, so an
# interrupted run resumes where it stopped.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
results = ""  # file from `replicate multiverse --export`; "": the twin's cache or a fresh run
scheduler = "serial"  # for a fresh run: "serial", "local" (Dask on all cores) or an address

# %%
import pandas as pd
from myst_nb import glue

from replicate import multiverse, paper
from replicate.data import load_panel
from replicate.report import figures, tables

figures.use_style()
panel = load_panel(data)
if results:
    mv = multiverse.load(results)
    provenance = f"read from {results}"
else:
    mv, provenance = multiverse.cached_or_run(panel, scheduler=scheduler, progress=False)
if mv.data_hash != multiverse.prepare(panel).fingerprint:
    raise ValueError(f"{results} was computed on other data than {panel.label}; rerun the CLI.")
print(f"{mv.label}: {len(mv.table):,} specifications, {provenance}.")
print(mv.table["status"].value_counts().to_string())
glue(
    "mv_paper_regressions",
    sum(paper.published(t)["column"].nunique() for t in (2, 3, 4)),
    display=False,
)

# %% [markdown]
# ## The space
#
# Six dimensions, every combination an estimator supports. The paper's own choices are
# one value on each: TWFE, city and year effects, the parent reading of sub-city pilots,
# 2005–2022, city clusters, and the stepwise controls of Table 2 (plus Table 4
# column 1's province-by-year effects).
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
# it excludes zero). The diamonds are the paper's own specifications; on the synthetic
# twin, the dashed line is the true average effect on treated city-years it was
# generated with. Below, each row is one choice; a mark means the specification above
# made it.

# %% mystnb={"figure": {"caption": "Specification curve: every estimate of the pilot's effect on nqp with its 95% interval, sorted, above the choices that produced it; the paper's specifications as diamonds; on the synthetic twin, its true effect dashed.", "name": "fig-specification-curve"}, "image": {"alt": "Specification curve of the pilot's effect on nqp: estimates sorted from smallest to largest with intervals, above an indicator panel of estimator, fixed effects, pilot coding, years, clusters and number of controls"}}
truth = getattr(panel.truth, "att", None)  # the twin knows its true effect; your data do not
fig = multiverse.specification_curve(mv, truth=truth)

# %% tags=["hide-input"]
summary = multiverse.robustness_summary(mv, truth=truth)
overall = summary.loc["all specifications"]
paper_rows = mv.ok[mv.ok["paper"] != ""]
glue("mv_n", f"{len(mv.ok):,}", display=False)
glue("mv_total", f"{len(mv.table):,}", display=False)
glue("mv_same_sign", f"{overall['same sign']:.0%}", display=False)
glue("mv_significant", f"{overall['significant (5%)']:.0%}", display=False)
glue("mv_both", f"{overall['same sign and significant']:.0%}", display=False)
glue("mv_median", f"{overall['median estimate']:.3f}", display=False)
glue(
    "mv_range",
    f"{mv.ok['estimate'].quantile(0.05):.3f} to {mv.ok['estimate'].quantile(0.95):.3f}",
    display=False,
)
glue(
    "mv_paper_range",
    f"{paper_rows['estimate'].min():.3f} to {paper_rows['estimate'].max():.3f}",
    display=False,
)
glue(
    "mv_truth",
    (
        f"On this synthetic twin the true effect is {truth:.3f}; "
        f"{overall['interval covers the truth']:.0%} of the 95% intervals cover it."
    )
    if truth is not None
    else "",
    display=False,
)
tables.show(
    tables.labelled(
        summary.rename(
            columns={
                "specifications": "specs",
                "median estimate": "median",
                "significant (5%)": "signif.",
                "same sign and significant": "both",
                "same sign": "sign",
                "interval covers the truth": "covers",
            }
        ),
        panel,
    ),
    f"How often the answer survives — {mv.label}",
    decimals=3,
    notes=f"Data: {tables.data_label(panel)}. specs: specifications; median: their median "
    "estimate; sign: share with the sign of the paper's main specification (Table 2 "
    "column 7); with s.e.: specifications with a standard error; signif.: share of those "
    "whose 95% interval excludes zero; both: same sign and significant"
    + (
        "; covers: share of 95% intervals that cover the twin's true effect."
        if truth is not None
        else "."
    ),
)

# %% [markdown]
# Of {glue:text}`mv_n` specifications, {glue:text}`mv_same_sign` estimate an effect with
# the sign of the paper's main specification, {glue:text}`mv_significant` are
# significant at 5%, and {glue:text}`mv_both` are both. The median estimate is
# {glue:text}`mv_median`; 90% of the estimates lie between {glue:text}`mv_range`, while
# the paper's own specifications span {glue:text}`mv_paper_range`. {glue:text}`mv_truth`
#
# ## Which choices move the estimate?
#
# A simple variance decomposition over the dimensions: how much of the spread of the
# estimates each dimension explains on its own (η², the between-choice share of the
# variance), and how much it adds last to an additive model of all dimensions. The space
# is not fully crossed, so the "alone" shares need not sum to the total.

# %%
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
# the others:

# %% tags=["hide-input"]
failed = mv.table[mv.table["status"] != "ok"]
print(f"{len(failed)} of {len(mv.table):,} specifications failed.")
tables.show(
    tables.labelled(
        failed[
            ["estimator", "controls", "fixed_effects", "pilot_coding", "window", "cluster", "error"]
        ].set_index("estimator"),
        panel,
    ),
    "Specifications that failed, with their error",
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
# The twin's results on this page were computed with the same command
# (`--export data/derived/multiverse_twin.parquet`) and committed, because
# {glue:text}`mv_total` fits take longer than the book's time budget; the page recomputes them whenever the
# twin or the space changes (the file's data fingerprint and specification hashes are
# checked, and a test keeps them equal). Results are byte-identical serially and on a
# cluster of any size: seeds come from each specification's hash, and rows are sorted
# by hash before they are written.
