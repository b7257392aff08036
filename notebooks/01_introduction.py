# %% [markdown]
# (ch-introduction)=
# # Introduction: does digital infrastructure raise new quality productive forces?
#
# Liu and Zou {cite}`liu_zou_nqp` ask whether China's "Broadband China" demonstration-city
# pilot (宽带中国示范城市) raised the "new quality productive forces" (新质生产力) of the
# cities it selected. The pilot is their proxy for digital infrastructure construction.
# This chapter restates the question, the two hypotheses and the model, and draws the
# pilot timing from the official lists that ship with this book.

# %% tags=["parameters"]
# Parameters (papermill): change them with `replicate run 01 -p reading ignore`.
data = "synthetic"  # panel used by later chapters; this chapter needs none
reading = "parent"  # how sub-city pilot entries are coded: "parent" or "ignore"

# %% tags=["hide-input"]
import numpy as np

from replicate import i18n, paper
from replicate.data import code_pilots, pilot_entries
from replicate.report import figures, tables
from replicate.report.glue import glue

figures.use_style()
coding = code_pilots(reading=reading)

# %% [markdown]
# ## Hypotheses
#
# - **H1.** Digital infrastructure construction promotes urban new quality productive forces.
# - **H2.** It does so through technological innovation (the mechanism).
#
# ## The model
#
# The paper estimates a two-way fixed-effects difference-in-differences on 285 cities at
# prefecture level and above, 2005–2022 (equation 1):
#
# $$
# \mathrm{nqp}_{it} = \alpha_0 + \beta\,(\mathrm{treat}_i \times \mathrm{period}_{it})
#   + \delta' \mathrm{Control}_{it} + \phi_i + \lambda_t + \varepsilon_{it},
# $$
#
# where $\mathrm{treat}_i = 1$ for pilot cities, $\mathrm{period}_{it} = 1$ from the year
# city $i$ became a pilot onward, $\phi_i$ and $\lambda_t$ are city and year fixed effects,
# and $\mathrm{did}_{it} = \mathrm{treat}_i \times \mathrm{period}_{it}$. The coefficient
# $\beta$ is the paper's answer to H1. For H2 the paper regresses patents per capita
# ($\mathrm{innovp}$) on $\mathrm{did}$, then adds $\mathrm{innovp}$ to equation 1.
#
# ## The pilot timing
#
# Three batches of list entries ({glue:text}`entries_per_batch`) were announced in
# 2014, 2015 and 2016. Mapping them to the 285 sample cities (rules in the data chapter
# and `data/README.md`) gives the staggered adoption below.

# %% tags=["hide-input"]
tables.show(
    coding.summary().set_index("reading"),
    "Pilot cities by batch among the 285 sample cities",
    decimals=4,
    notes="Real data: the official pilot lists mapped to the sample cities.",
)

# %% tags=["hide-input"]
per_batch = pilot_entries()["batch_year"].value_counts().sort_index()
i18n.glue(
    "entries_per_batch",
    ", ".join(f"{n} in {y}" for y, n in per_batch.items()),
    "，".join(f"{y} 年 {n} 个" for y, n in per_batch.items()),
)
timing = coding.panel()
last_batch = int(per_batch.index.max())
share_then = timing.loc[timing["year"] == last_batch, "did"].mean()
glue("last_batch", last_batch, display=False)
glue("share_then", f"{100 * share_then:.0f}", display=False)
n_paper, mean_paper = int(paper.TABLE1.loc["did", "N"]), float(paper.TABLE1.loc["did", "mean"])
glue("paper_did_mean", tables.number(mean_paper, 3), display=False)
glue("paper_n", f"{n_paper:,}", display=False)
glue("lists_did_mean", tables.number(timing["did"].mean(), 3), display=False)
# city-years a mean printed as 0.167 allows: (0.167 ± 0.0005) × N
allowed = range(
    int(np.ceil((mean_paper - paper.HALF_UNIT) * n_paper)),
    int(np.floor((mean_paper + paper.HALF_UNIT) * n_paper)) + 1,
)
treated = int(timing["did"].sum())
gaps = sorted({abs(treated - k) for k in allowed})
word = "more" if treated > allowed[-1] else "fewer" if treated < allowed[0] else None
i18n.glue(
    "did_gap",
    f"between {gaps[0]} and {gaps[-1]} {word}" if word else "no more and no fewer",
    f"{'多' if word == 'more' else '少'} {gaps[0]} 至 {gaps[-1]} 个" if word else "既不多也不少",
)

# %% tags=["remove-stderr"] mystnb={"figure": {"caption": "Broadband China pilot cities among the 285 sample cities, by batch (bars, left axis), and the share of cities treated in each year (line, right axis). Drawn from the official lists shipped in data/raw; this figure is real data, not synthetic.", "name": "fig-pilot-timeline"}, "image": {"alt": "Broadband China pilot cities among the 285 sample cities, by batch (bars, left axis), and the share of cities treated in each year (line, right axis). Drawn from the official lists shipped in data/raw; this figure is real data, not synthetic."}}
fig = figures.pilot_timeline(coding)

# %% [markdown]
# {numref}`fig-pilot-timeline` shows why the design is a *staggered* difference in
# differences: cities enter treatment in three waves, and by {glue:text}`last_batch`
# about {glue:text}`share_then`% of the sample is treated. The paper's Table 1 reports a
# mean of `did` of {glue:text}`paper_did_mean` over {glue:text}`paper_n` city-years; the
# official lists give {glue:text}`lists_did_mean`, {glue:text}`did_gap` treated
# city-years than that rounded mean allows, a gap the data chapter examines. Because no city is treated before 2014 and the waves are close
# together, the two-way fixed-effects estimate mixes comparisons between early and late
# pilots with comparisons against never-treated cities {cite}`goodman_bacon_2021` — a
# point the later chapters take up.
#
# ```{admonition} What is real and what is synthetic
# :class: important
# The pilot lists, the city list and the Government Work Reports are real, public data.
# The authors' city panel is not public, so the regression chapters run on a
# *synthetic twin* calibrated to the paper's published statistics. Every synthetic table
# and figure says so. Nothing computed from the twin is evidence about China.
# ```
