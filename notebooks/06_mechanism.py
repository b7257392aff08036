# %% [markdown]
# (ch-mechanism)=
# # The mechanism: technological innovation (Table 3)
#
# H2 says the pilot raises new quality productive forces *through* technological
# innovation. The paper tests this {term}`mediation` in two steps {cite}`baron_kenny_1986`: column (1)
# regresses patents per capita (`innovp`) on `did`; column (2) adds `innovp` to the
# baseline. `did` raises `innovp`, `innovp` raises `nqp`, and `did` stays positive, so the
# paper concludes partial mediation. This chapter re-estimates both columns, then tests
# what the two steps leave untested: the indirect effect itself.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel
reading = "parent"  # pilot coding of sub-city entries
pilots = None  # None: the Broadband China lists; or a CSV of city, first_year (--pilots)
controls = None  # None: the paper's six (schema.CONTROLS), in both equations; or [fdi, hum]
cluster = "city_id"  # clusters of the standard errors and of the bootstrap
rescale = None  # None: mar and fin in percent (schema.REGRESSION_SCALE); {} keeps your units
absorb = None  # None: city and year effects; e.g. [city_id, year, province#year]
bootstrap_draws = 999  # cluster (city) bootstrap draws for the indirect effect
seed = 20241128  # seed of the bootstrap (the book's seed, synthetic.DEFAULT_SEED)

# %% tags=["hide-input"]
from IPython.display import display

from replicate import checks, i18n, paper, replication
from replicate.data import load_panel
from replicate.models.mechanism import mediation
from replicate.report import figures, prose, prose_zh, tables
from replicate.report.glue import glue

figures.use_style()
panel = load_panel(data, reading=reading, pilots=pilots)
options = replication.options_from(globals())  # the parameters above, defaults resolved
print(panel.summary())

# %% [markdown]
# ## Table 3, beside the paper

# %% tags=["hide-input"]
tables.show(replication.paper_table(3, panel, **options))

# %% [markdown]
# ## The indirect effect
#
# The two steps show that each link is non-zero; they do not estimate how much of the
# pilot's effect runs through innovation. That is the product of coefficients
# $a \cdot b$ — the effect of `did` on `innovp` times the effect of `innovp` on `nqp` —
# which in a linear model on one sample equals the total effect $c$ minus the direct
# effect $c'$. We report it with a delta-method (Sobel) standard error
# {cite}`sobel_1982` and a percentile interval from a bootstrap that resamples whole
# cities, so that it respects the clustering.

# %%
result = mediation(
    replication.regression_frame(panel, options["rescale"]),
    "nqp",
    mediator="innovp",
    unit="city_id",
    time="year",
    cohort="g",
    controls=options["controls"],
    cluster=options["cluster"],
    absorb=options["absorb"],
    draws=bootstrap_draws,
    seed=seed,
)
tables.show(
    tables.labelled(result.table(), panel), "The indirect effect of did through innovp", decimals=5
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Cluster-bootstrap distribution of the indirect effect a·b (cities resampled with replacement; both equations re-estimated in every draw): the point estimate (solid), the 95% percentile interval (dashed) and, on the synthetic twin, the indirect effect the twin was built with (dotted).", "name": "fig-indirect-bootstrap"}, "image": {"alt": "Histogram of the cluster-bootstrap draws of the indirect effect a·b with the point estimate, the 95% percentile interval and, on the synthetic twin, the true indirect effect marked"}}
truth = panel.truth  # None unless the panel is the synthetic twin
true_a, true_b, _ = replication.mediation_truth(truth) if truth else (None, None, None)
fig = figures.distribution(
    result.boot_draws,
    result.indirect,
    result.boot_ci,
    xlabel="indirect effect a·b (did → innovp → nqp)",
    ylabel="bootstrap draws",
    truth=true_a * true_b if truth else None,  # the true indirect effect
    source=panel,
)

# %% tags=["hide-input"]
panel_label = tables.data_label(panel)
i18n.glue(
    "panel_label", panel_label, i18n.translate_table_text(panel_label, i18n.table_catalogue())
)
glue("indirect", tables.number(result.indirect, 4), display=False)
glue("sobel_p", tables.p_value(result.sobel_p), display=False)
significant = result.sobel_p < 0.05
i18n.glue(
    "significance",
    "significant" if significant else "not significant",
    "显著" if significant else "不显著",
)
glue("share", f"{100 * result.share_mediated:.1f}", display=False)
glue("total", tables.number(result.total_effect, 3), display=False)
glue("level", f"{100 * result.level:.0f}", display=False)
glue("boot_ci", "[{}, {}]".format(*(tables.number(v, 4) for v in result.boot_ci)), display=False)

# %% [markdown]
# On this panel ({glue:text}`panel_label`) the indirect effect is
# {glue:text}`indirect` (Sobel p {glue:text}`sobel_p`, {glue:text}`significance` at 5%;
# {glue:text}`level`% bootstrap interval {glue:text}`boot_ci`, {numref}`fig-indirect-bootstrap`), about
# {glue:text}`share`% of the estimated total effect $c$ of {glue:text}`total`.
#
# ## What the twin was built with
#
# When the panel is the synthetic twin, the mechanism's true values are known: the twin
# was generated with an effect $a$ of `did` on `innovp` and an effect $b$ of `innovp` on
# `nqp`, so its true indirect effect is $a \cdot b$, and its true total effect is the
# average effect on treated city-years (`truth.att`). The table sets each estimate
# beside its truth, with the gap in standard errors (on a real panel there is no truth
# and the table is not shown).

# %% tags=["hide-input"]
if truth is not None:
    beside = result.beside_truth(*replication.mediation_truth(truth))
    display(
        tables.show(
            tables.labelled(beside, panel),
            "The mechanism: estimates beside the twin's truth",
            decimals=5,
        )
    )
i18n.glue(
    "truth_sentence",
    prose.describe_mediation_truth(result, panel),
    prose_zh.describe_mediation_truth(result, panel),
)

# %% [markdown]
# {glue:text}`truth_sentence` ({ref}`ch-robustness` shows the provincial shocks at work;
# {ref}`ch-calibration` the many-twin check.)
#
# ## What the paper's own numbers allow

# %% tags=["hide-input"]
published = paper.published(3).set_index(["column", "variable"])
a_cell, b_cell = published.loc[(1, "did")], published.loc[(2, "innovp")]
t_low, t_high = checks.t_interval(int(b_cell["stars"]), 284)
glue("paper_b", f"{b_cell['coef']:.3f} ({b_cell['se']:.3f})", display=False)
i18n.glue(
    "face_value", prose.describe_face_value_indirect(), prose_zh.describe_face_value_indirect()
)
i18n.glue(
    "published_verdict", prose.describe_published_indirect(), prose_zh.describe_published_indirect()
)
i18n.glue("t_band", f"{t_low:.2f} and {t_high:.2f}", f"{t_low:.2f} 与 {t_high:.2f} 之间")
glue(
    "b_interval", "[{:.4f}, {:.4f})".format(*checks.printed_interval(b_cell["coef"])), display=False
)
glue("se_b_max", f"{checks.printed_interval(b_cell['se'])[1]:.4f}", display=False)

# %% [markdown]
# {glue:text}`face_value` `innovp` is printed as
# {glue:text}`paper_b` with one star: its coefficient lies in {glue:text}`b_interval`,
# its standard error below {glue:text}`se_b_max`, and its t statistic between
# {glue:text}`t_band`. Scanning every pair consistent with the printed cell:

# %% tags=["hide-input"]
tables.show(
    checks.published_indirect_bounds(),
    "What Table 3's printed cells allow for the indirect effect",
    decimals=4,
    notes="Computed from the paper's printed numbers alone (no data).",
)

# %% [markdown]
# {glue:text}`published_verdict`
# The paper's acceptance of H2 rests on a link that, by its own table, is significant at
# 10% only.
#
# ## What the two-step approach can and cannot show
#
# - It assumes no confounder of the mediator and the outcome: anything that raises both
#   patenting and the keyword index (a city's push for "innovation" in its policy
#   language, say) biases $b$. Cities applied to the programme and were selected
#   ({ref}`ch-modern-did`), so the timing is not random; and even random timing would
#   protect only the effects of the pilot, not this link. Under parallel trends the
#   staggered timing identifies $a$ and the total effect; it does not identify $b$.
# - This is the core of Jiang Ting's critique of the two-step (and three-step) mediation
#   tests common in Chinese applied economics {cite}`jiang_2022_mediation`: regressing the
#   outcome on the mediator treats the mediator as if it were randomly assigned, so the
#   second step is not causal without its own identification. The advice there is to
#   estimate the effect of the treatment on the mediator credibly, and to argue, from
#   theory and from evidence outside the regression, that the mediator moves the outcome,
#   rather than to rest a mechanism on a coefficient of the mediator in the outcome
#   equation.
# - "`did` stays significant after adding `innovp`" is about the direct effect, not the
#   mechanism; a sizable, precisely estimated indirect effect is what H2 needs.
# - Patents per capita measure inventive activity with a lag; a same-year mediator
#   understates a slow channel and overstates a fast one.
