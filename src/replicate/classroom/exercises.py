"""The classroom exercises, written once: question, solution code, truth, tolerance, mistakes.

Every :class:`Exercise` holds, in one place,

* the **prompt** a student reads and the **starter** line they fill in;
* the **solution** code the teacher's copy runs in the same notebook;
* how the **truth** is computed from the student's twin (:class:`Context`: the twin the
  student's notebook regenerates from its seed, its true effects, and a Monte Carlo of
  twins of the same design run when the assignment is made);
* the **likely mistakes** — numbers a wrong answer tends to be (the TWFE estimate where a
  cohort's ATT is asked, the whole bias where a part is asked, …) with the message the
  feedback page gives for each.

The teaching chapter's exercises (``notebooks/10_teaching.py``, ``:::{exercise}`` blocks)
are written here, not twice: an exercise with a ``chapter_label`` has the chapter's prompt
word for word (``tests/test_classroom.py`` parses the chapter and compares) and an ``ask``,
the one number of the student's own twin that is graded; :data:`NOT_GRADED` lists the
chapter's exercises that are not graded, each with its reason.

Tolerances (:func:`tolerance`) are not chosen by hand. An exercise is one of

* ``exact`` — a deterministic function of the student's twin (the true ATT of a cohort,
  TWFE's bias on that twin and its parts): its Monte Carlo s.e. is zero, so the only
  tolerance is :data:`ROUNDING` (an answer rounded to three decimals is accepted);
* ``mean`` / ``rate`` — a Monte Carlo estimate over the ``draws`` twins of the student's
  notebook (the mean s.e. behind a minimum detectable effect, the coverage of a clustered
  interval): the tolerance is :data:`TOLERANCE_Z` Monte Carlo standard errors of that
  estimate, ``s.d./√draws`` for a mean and ``√(p(1 − p)/draws)`` for a rate (Morris,
  White & Crowther 2019), with the s.d. and ``p`` from the key's own simulation of
  ``key_draws`` twins of the same design, which is also the truth;
* ``bool`` — a yes/no read from the twin (whether the pre-test passes): exact.

The student's twins are the key's first ``draws`` twins (seeds come from the design's hash
and the draw number, :meth:`replicate.montecarlo.Design.draw_seed`), so a correct answer
differs from the truth by less than the tolerance far more often than the nominal 99.7%.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["exact", "mean", "rate", "bool"]

TOLERANCE_Z = 3.0
"""Monte Carlo standard errors an answer may be from the truth (a correct Monte Carlo
answer falls within 3 s.e. with probability ≈ 0.997 under normality)."""
ROUNDING = 5e-4
"""Half a unit in the third decimal: the tolerance of an exact answer (and the floor of
every other), so an answer rounded to three decimals is accepted."""
DEFAULT_DRAWS = 20
"""Twins in each student's Monte Carlo (exercises ``coverage`` and ``mde``)."""
KEY_DRAWS_FACTOR = 5
"""The key simulates this many times the student's draws (the truth of the Monte Carlo
exercises, and the s.d. and rate behind their tolerances)."""
BATCH = 2014
"""The pilot batch whose ATT exercise ``cohort_att`` asks for (the earliest: its effect
grows longest, so TWFE is furthest from it)."""
MDE_MULTIPLIER_TEXT = "(z₀.₉₇₅ + z₀.₈₀)"
COLUMNS = {"unit": "city_id", "time": "year", "cohort": "g"}
HOMOGENEOUS = {
    "cohort_effects": {2014: 0.12, 2015: 0.12, 2016: 0.12},
    "dynamic_slope": 0.0,
    "anticipation": 0,
    "pretrend": 0.0,
    "conditional_trends": False,
}
"""The teaching chapter's homogeneous-effects knobs (exercise ``ex-homogeneous``; also
anticipation, pre-trend and confounding off, as the chapter's exercises do). A student's
notebook sets ``homogeneous = {**knobs, **HOMOGENEOUS}``."""
ANTICIPATION = 2
"""Years of anticipation in ``ex-anticipation`` (the chapter's ``max(anticipation, 2)``)."""
PRETREND_LARGE, PRETREND_SMALL = 0.02, 0.005
"""The pre-trends of ``ex-pretrend`` and ``ex-pretest``."""

# Each student's twin differs in its effects, so answers differ between students even for
# quantities that do not depend on the noise (the truth is not random within a design).
EFFECTS_2014 = (0.30, 0.35, 0.40, 0.45, 0.50)
EFFECTS_2015 = (0.10, 0.15, 0.20)
EFFECTS_2016 = (0.00, 0.05)
SLOPES = (0.03, 0.04, 0.05, 0.06)
PRETRENDS = (0.0, 0.0, 0.01, 0.02)


def student_knobs(seed: int) -> tuple[dict, dict]:
    """The twin's knobs and the Monte Carlo's knobs of one student, drawn from ``seed``.

    The twin: a direct effect per batch (earlier batches larger), an effect growing each
    year since the pilot, sometimes a pre-trend, parallel trends without controls
    (``conditional_trends=False``). The Monte Carlo twins: the 2015 batch's effect in every
    batch, constant in time, no pre-trend — so TWFE is unbiased there and its interval's
    coverage measures the standard errors alone.
    """
    rng = np.random.default_rng([seed, 23])
    effects = {
        2014: float(rng.choice(EFFECTS_2014)),
        2015: float(rng.choice(EFFECTS_2015)),
        2016: float(rng.choice(EFFECTS_2016)),
    }
    knobs = {
        "cohort_effects": effects,
        "dynamic_slope": float(rng.choice(SLOPES)),
        "pretrend": float(rng.choice(PRETRENDS)),
        "conditional_trends": False,
    }
    mc_knobs = {
        "cohort_effects": {b: effects[2015] for b in effects},
        "dynamic_slope": 0.0,
        "pretrend": 0.0,
        "conditional_trends": False,
    }
    return knobs, mc_knobs


def int_keys(knobs: Mapping) -> dict:
    """``knobs`` with the batches of ``cohort_effects`` as int (papermill writes them as text)."""
    out = dict(knobs)
    if out.get("cohort_effects"):
        out["cohort_effects"] = {int(b): float(e) for b, e in out["cohort_effects"].items()}
    return out


class Context:
    """What the key knows about one student's twin (computed once, when first asked)."""

    def __init__(self, seed: int, knobs: Mapping, mc_knobs: Mapping, draws: int, key_draws: int):
        self.seed, self.draws, self.key_draws = int(seed), int(draws), int(key_draws)
        self.knobs, self.mc_knobs = int_keys(knobs), int_keys(mc_knobs)

    def variant(self, **changes) -> Context:
        """The same student's twin (same seed) with some knobs changed, cached by change."""
        name = repr(sorted(changes.items()))
        cache = self.__dict__.setdefault("_variants", {})
        if name not in cache:
            cache[name] = Context(
                self.seed, {**self.knobs, **changes}, self.mc_knobs, self.draws, self.key_draws
            )
        return cache[name]

    @property
    def homogeneous(self) -> Context:
        return self.variant(**HOMOGENEOUS)

    def pretests(self, slope: float) -> pd.DataFrame:
        """The key's pre-tests on ``key_draws`` twins of the homogeneous design with a
        pre-trend ``slope`` (the student's twins are the first ``draws`` of them)."""
        from replicate import montecarlo, teaching

        cache = self.__dict__.setdefault("_pretests", {})
        if slope not in cache:
            design = montecarlo.Design(
                {**self.knobs, **HOMOGENEOUS, "pretrend": slope}, seed=self.seed
            )
            cache[slope] = teaching.run_fast("pretest", design, self.key_draws)
        return cache[slope]

    def rejects(self, slope: float) -> np.ndarray:
        return (self.pretests(slope)["pretest_p"] < 0.05).to_numpy()

    @functools.cached_property
    def att_treated(self) -> float:
        """Mean true effect over the city-years with ``did == 1`` (from the pilot year on)."""
        f = self.frame
        return float(f.loc[f["did"] == 1, "tau"].mean())

    @functools.cached_property
    def imputation(self) -> float:
        """The imputation estimate through :func:`replicate.multiverse.estimate_spec` (the
        solution calls :func:`replicate.models.staggered.imputation` directly)."""
        return self._fit("imputation")

    def _fit(self, estimator: str) -> float:
        from replicate import multiverse as mv

        prepared = mv.prepare(self.twin.panel(), recode=False)
        fit = mv.estimate_spec(mv.Spec(estimator, (), pilot_coding="as in the data"), prepared)
        if fit["status"] != "ok":
            raise RuntimeError(
                f"{estimator} failed on the twin of seed {self.seed}: {fit['error']}"
            )
        return float(fit["estimate"])

    @functools.cached_property
    def twin(self):
        from replicate.data import synthetic

        return synthetic.make_twin(seed=self.seed, knobs=synthetic.Knobs(**self.knobs))

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        from replicate.models.bias import true_effects
        from replicate.replication import regression_frame

        panel = self.twin.panel()
        return regression_frame(panel).merge(true_effects(self.twin), on=["city_id", "year"])

    @functools.cached_property
    def split(self):
        from replicate.models.bias import twfe_bias

        return twfe_bias(self.frame, "nqp", "tau", **COLUMNS)

    @functools.cached_property
    def parts(self) -> pd.Series:
        return self.split.by_part()

    @functools.cached_property
    def twfe(self) -> float:
        """TWFE through pyfixest (:func:`replicate.multiverse.estimate_spec`), not through
        the Bacon decomposition the solution uses: an independent computation."""
        return self._fit("twfe")

    @functools.cached_property
    def pretrend_p(self) -> float:
        from replicate.models.event_study import event_study

        return float(
            event_study(self.frame, "nqp", **COLUMNS, window=(-5, 5), draws=1000).pretrend_p
        )

    @functools.cached_property
    def monte_carlo(self) -> pd.DataFrame:
        from replicate import montecarlo

        design = montecarlo.Design(self.mc_knobs, estimators=("twfe",), seed=self.seed)
        table, _ = montecarlo.run(design, self.key_draws)
        ok = table[table["status"] == "ok"]
        if len(ok) < len(table):
            raise RuntimeError(
                f"{len(table) - len(ok)} Monte Carlo draws of seed {self.seed} failed"
            )
        return ok

    @functools.cached_property
    def covered(self) -> np.ndarray:
        mc = self.monte_carlo
        return ((mc["lower"] <= mc["truth"]) & (mc["truth"] <= mc["upper"])).to_numpy()

    @property
    def mde_multiplier(self) -> float:
        from scipy import stats

        return float(stats.norm.ppf(0.975) + stats.norm.ppf(0.80))


Mistakes = Callable[[Context], Sequence[tuple[float, str]]]


@dataclass(frozen=True)
class Exercise:
    """One exercise: what the student reads, what the teacher's copy runs, how it is checked."""

    key: str
    title: str
    prompt: str
    solution: str
    kind: Kind
    truth: Callable[[Context], float | bool]
    mistakes: Mistakes = field(default=lambda ctx: ())
    per_draw: Callable[[Context], np.ndarray] | None = None
    """For ``mean``/``rate``: the key's per-draw values behind its Monte Carlo s.e."""
    points: int = 1
    starter_hint: str = "your number"
    chapter_label: str | None = None
    """The label of the teaching chapter's ``:::{exercise}`` whose prompt this is (the
    prompt is then that exercise's text word for word, MyST roles included; a test
    compares them); ``None`` for the kit's own exercises."""
    ask: str = ""
    """For a chapter exercise: the one number (or yes/no) on the student's own twin the
    grader reads, and how to get it in the student's notebook."""

    @property
    def text(self) -> str:
        """What the student's notebook shows: the prompt (MyST roles as plain text), then
        the number asked for."""
        shown = plain(self.prompt)
        if self.chapter_label:
            shown += f"\n\n*(Exercise `{self.chapter_label}` of the book's teaching chapter.)*"
        return shown + (f"\n\n**Your answer:** {self.ask}" if self.ask else "")

    @property
    def starter(self) -> str:
        return f'answers["{self.key}"] = None  # {self.starter_hint}'


def plain(text: str) -> str:
    """MyST roles as plain Markdown, for a notebook outside the book: ``{term}`x``` → x,
    ``{ref}`ex-…``` → the kit's exercise of that chapter label, ``{cite}`roth_2022_x``` →
    Roth (2022)."""
    import re

    labels = {e.chapter_label: e.key for e in EXERCISES.values() if e.chapter_label}

    def ref(match):
        label = match.group(1)
        return f"exercise `{labels[label]}`" if label in labels else f"`{label}`"

    def cite(match):
        names = []
        for key in match.group(1).split(","):
            author, _, rest = key.strip().partition("_")
            names.append(f"{author.replace('-', ' ').title()} ({rest.split('_')[0]})")
        return "; ".join(names)

    text = re.sub(r"\{ref\}`([^`]+)`", ref, text)
    text = re.sub(r"\{term\}`([^`<]+?)\s*(?:<[^>]*>)?`", r"\1", text)
    return re.sub(r"\{cite(?::\w+)?\}`([^`]+)`", cite, text)


def tolerance(exercise: Exercise, ctx: Context) -> tuple[float, float, str]:
    """``(tolerance, Monte Carlo s.e., the rule in words)`` of one exercise on one twin."""
    if exercise.kind == "bool":
        return 0.0, 0.0, "exact (yes or no)"
    if exercise.kind == "exact":
        return ROUNDING, 0.0, f"exact on your twin; ±{ROUNDING:g} for rounding"
    values = np.asarray(exercise.per_draw(ctx), float)
    if exercise.kind == "rate":
        k = len(values)
        p = float(np.clip(values.mean(), 0.5 / k, 1 - 0.5 / k))  # never a zero s.e.
        se = float(np.sqrt(p * (1 - p) / ctx.draws))
        rule = f"{TOLERANCE_Z:g} × √(p(1 − p)/{ctx.draws}), p from {k} twins"
    else:
        se = float(values.std(ddof=1) / np.sqrt(ctx.draws))
        rule = f"{TOLERANCE_Z:g} × s.d./√{ctx.draws}, s.d. from {len(values)} twins"
    return max(TOLERANCE_Z * se, ROUNDING), se, rule


# ----------------------------------------------------------------------------- the exercises


def _batch_rows(ctx: Context, treated: bool | None) -> pd.DataFrame:
    f = ctx.frame
    rows = f["g"] == BATCH
    if treated is not None:
        rows &= f["did"] == (1 if treated else 0)
    return f[rows]


def _cohort_mistakes(ctx: Context):
    f = ctx.frame
    truth = ctx.twin.truth
    out = [
        (ctx.twfe, f"this is the TWFE estimate, not the {BATCH} batch's true ATT"),
        (truth.att, f"this is the true ATT of all treated city-years, not of the {BATCH} batch"),
        (
            float(f.loc[(f["g"] == BATCH) & (f["year"] == BATCH), "tau"].mean()),
            f"this is the {BATCH} batch's effect in its pilot year only; its ATT averages "
            "every treated year, and the effect grows each year",
        ),
        (
            float(_batch_rows(ctx, None)["tau"].mean()),
            f"this averages the {BATCH} batch over every year, including the untreated years "
            "before its pilot",
        ),
    ]
    for batch, value in truth.by_cohort.items():
        if int(batch) != BATCH:
            out.append(
                (float(value), f"this is the {batch} batch's true ATT, not the {BATCH} batch's")
            )
    return out


def _bias_mistakes(ctx: Context):
    shared = float(ctx.parts["variance weighting"] + ctx.parts["forbidden comparison"])
    return [
        (ctx.twfe, "this is the TWFE estimate itself; the bias is the estimate minus the true ATT"),
        (
            shared,
            "this is only the part of the bias every twin of your design shares (variance "
            "weighting + forbidden comparisons); your twin's bias also has its noise part",
        ),
        (ctx.twin.truth.att, "this is the true ATT; the bias is the TWFE estimate minus it"),
    ]


def _part_mistakes(part: str):
    names = {
        "variance weighting": "the variance-weighting part",
        "forbidden comparison": "the forbidden-comparison part",
        "noise and trend violation": "the noise (and trend-violation) part",
    }

    def mistakes(ctx: Context):
        out = [
            (float(ctx.parts[other]), f"this is {label}, not {names[part]}")
            for other, label in names.items()
            if other != part
        ]
        out.append((float(ctx.parts["total"]), f"this is the whole bias, not {names[part]} alone"))
        return out

    return mistakes


def _coverage_mistakes(ctx: Context):
    mc = ctx.monte_carlo
    power = float((mc["pvalue"] < 0.05).mean())
    return [
        (
            1 - float(ctx.covered.mean()),
            "this is the share of intervals that miss the true ATT (1 − coverage)",
        ),
        (
            power,
            "this is the rejection rate of 'effect = 0' (the power), not the coverage of the true ATT",
        ),
    ]


def _mde_mistakes(ctx: Context):
    se = float(ctx.monte_carlo["se"].mean())
    return [
        (
            1.959964 * se,
            "this is z₀.₉₇₅ × s.e.: the effect detected with only 50% power; add z₀.₈₀ ≈ 0.84 "
            "for 80% power",
        ),
        (
            se,
            f"this is the mean standard error itself; the MDE multiplies it by {MDE_MULTIPLIER_TEXT}",
        ),
        (
            ctx.monte_carlo["estimate"].mean(),
            "this is the mean TWFE estimate, not the minimum detectable effect",
        ),
    ]


def _variant_bias_mistakes(name: str, changes: Mapping):
    def mistakes(ctx: Context):
        v = ctx.variant(**changes)
        return [
            (
                v.twfe,
                "this is the TWFE estimate itself; the bias is the estimate minus the true ATT",
            ),
            (
                ctx.twfe - float(ctx.twin.truth.att),
                f"this is TWFE's bias on your twin as handed out, not on the twin with {name}",
            ),
            (
                float(v.twin.truth.att),
                "this is the true ATT; the bias is the TWFE estimate minus it",
            ),
        ]

    return mistakes


def _anticipation_mistakes(ctx: Context):
    v = ctx.variant(anticipation=ANTICIPATION)
    f = v.frame
    event = f["year"] - f["g"]
    announced = (f["g"] > 0) & (event >= -ANTICIPATION)
    return [
        (v.imputation, "this is the imputation estimate itself, not its error"),
        (
            v.imputation - float(f.loc[announced, "tau"].mean()),
            "this is the error against the effect from the announcement on; dated at "
            "implementation, the estimate is compared with the ATT from the pilot year on",
        ),
        (
            v.twfe - v.att_treated,
            "this is TWFE's error; the exercise asks for the imputation estimator's",
        ),
    ]


def _rate_mistakes(slope: float, passing: bool):
    def mistakes(ctx: Context):
        rate = float(ctx.rejects(slope).mean())
        other = PRETREND_SMALL if slope == PRETREND_LARGE else PRETREND_LARGE
        other_rate = float(ctx.rejects(other).mean())
        asked, flip = ("pass", "rejection") if passing else ("rejection", "pass")
        return [
            (
                rate if passing else 1 - rate,
                f"this is the {flip} rate (1 − the {asked} rate)",
            ),
            (
                1 - other_rate if passing else other_rate,
                f"this is the {asked} rate with pretrend = {other:g}, not {slope:g}",
            ),
        ]

    return mistakes


EXERCISES: dict[str, Exercise] = {
    e.key: e
    for e in (
        Exercise(
            "cohort_att",
            f"The true ATT of the {BATCH} batch",
            f"`frame['tau']` is the twin's true effect of the pilot in each city-year (`g` is "
            f"a city's first pilot year, 0 if never; `did` is 1 from it on). What is the "
            f"average effect on the treated of the **{BATCH} batch**: the mean of `tau` over "
            f"that batch's treated city-years? Compare it with the TWFE estimate of exercise 2.",
            f'batch = frame[(frame["g"] == {BATCH}) & (frame["did"] == 1)]\n'
            f'answers["cohort_att"] = batch["tau"].mean()',
            "exact",
            lambda ctx: float(ctx.twin.truth.by_cohort[BATCH]),
            _cohort_mistakes,
        ),
        Exercise(
            "twfe_bias",
            "TWFE's bias on your twin",
            "Estimate the static TWFE regression `nqp ~ did | city_id + year` on your twin and "
            "compare it with the true ATT of all treated city-years: what is its **bias** "
            "(estimate − true ATT)? `twfe_bias(frame, 'nqp', 'tau', **columns)` gives the "
            "estimate (`.twfe`), the truth (`.att`) and the split of exercises 3 and 4.",
            'split = twfe_bias(frame, "nqp", "tau", **columns)\n'
            'answers["twfe_bias"] = split.twfe - split.att',
            "exact",
            lambda ctx: ctx.twfe - float(ctx.twin.truth.att),
            _bias_mistakes,
        ),
        Exercise(
            "weighting",
            "The variance-weighting part of the bias",
            "Split the bias into its parts (`split.by_part()`, Goodman-Bacon's 2×2 comparisons "
            "against the truth). What is the **variance-weighting** part: each comparison's own "
            "effect minus the ATT, weighted by TWFE's weights?",
            'answers["weighting"] = split.by_part()["variance weighting"]',
            "exact",
            lambda ctx: float(ctx.parts["variance weighting"]),
            _part_mistakes("variance weighting"),
        ),
        Exercise(
            "forbidden",
            "The forbidden-comparison part of the bias",
            "What is the **forbidden-comparison** part: minus the change in effect of the "
            "already-treated cities TWFE uses as controls, weighted by TWFE's weights?",
            'answers["forbidden"] = split.by_part()["forbidden comparison"]',
            "exact",
            lambda ctx: float(ctx.parts["forbidden comparison"]),
            _part_mistakes("forbidden comparison"),
        ),
        Exercise(
            "homogeneous_bias",
            "Homogeneous effects: is TWFE unbiased?",
            "Set `cohort_effects = {2014: 0.12, 2015: 0.12, 2016: 0.12}` and `dynamic_slope "
            "= 0`. Is TWFE unbiased now? What happens to the variance-weighting and "
            "forbidden-comparison parts of its bias?",
            "twin_h = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**homogeneous))\n"
            'frame_h = regression_frame(twin_h.panel()).merge(true_effects(twin_h), on=["city_id", "year"])\n'
            'split_h = twfe_bias(frame_h, "nqp", "tau", **columns)\n'
            "print(split_h.by_part())  # the weighting and forbidden parts are zero\n"
            'answers["homogeneous_bias"] = split_h.twfe - split_h.att',
            "exact",
            lambda ctx: ctx.homogeneous.twfe - float(ctx.homogeneous.twin.truth.att),
            _variant_bias_mistakes("homogeneous effects", HOMOGENEOUS),
            chapter_label="ex-homogeneous",
            ask="TWFE's bias (estimate − true ATT) on your own twin with these effects: "
            "`homogeneous` (set up above) is your `knobs` with them (and no anticipation, "
            "pre-trend or confounding). Make the twin with `synthetic.make_twin(seed=seed, "
            "knobs=synthetic.Knobs(**homogeneous))`, its `frame` as in the setup cell, and "
            "split the bias with `twfe_bias`: the two parts should be zero, so what is left "
            "is noise.",
        ),
        Exercise(
            "anticipation_bias",
            "Anticipation: the cohort dated at implementation",
            "Set `anticipation = 2`: the effect starts when the pilot is announced, two years "
            "before it is implemented. Estimate with the cohort dated at implementation (the "
            "pilot year) and at announcement (two years earlier). Which is biased, and why?",
            "from replicate.models.staggered import imputation\n\n"
            "twin_a = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**{**knobs, "
            f'"anticipation": {ANTICIPATION}}}))\n'
            'frame_a = regression_frame(twin_a.panel()).merge(true_effects(twin_a), on=["city_id", "year"])\n'
            'fit = imputation(frame_a, "nqp", **columns)  # g: dated at implementation\n'
            'answers["anticipation_bias"] = fit.estimate - frame_a.loc[frame_a["did"] == 1, "tau"].mean()',
            "exact",
            lambda ctx: (
                ctx.variant(anticipation=ANTICIPATION).imputation
                - ctx.variant(anticipation=ANTICIPATION).att_treated
            ),
            _anticipation_mistakes,
            chapter_label="ex-anticipation",
            ask=f"on your own twin with `anticipation = {ANTICIPATION}` "
            f'(`{{**knobs, "anticipation": {ANTICIPATION}}}`), the **imputation** estimator\'s '
            "error with the cohort dated at implementation: "
            "`imputation(frame, 'nqp', **columns)` (from `replicate.models.staggered`) minus "
            "the true ATT of the city-years from the pilot year on (mean of `tau` where "
            "`did == 1`).",
        ),
        Exercise(
            "conditional_bias",
            "Conditional parallel trends: TWFE without controls",
            "Set `conditional_trends = True` (the book's default twin). Now the controls move "
            "the outcome and trend with pilot status. What happens to the estimators run "
            "without controls?",
            "twin_c = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**{**knobs, "
            '"conditional_trends": True}))\n'
            'frame_c = regression_frame(twin_c.panel()).merge(true_effects(twin_c), on=["city_id", "year"])\n'
            'split_c = twfe_bias(frame_c, "nqp", "tau", **columns)\n'
            'answers["conditional_bias"] = split_c.twfe - split_c.att',
            "exact",
            lambda ctx: (
                ctx.variant(conditional_trends=True).twfe
                - float(ctx.variant(conditional_trends=True).twin.truth.att)
            ),
            _variant_bias_mistakes("conditional trends", {"conditional_trends": True}),
            chapter_label="ex-conditional",
            ask="on your own twin with `conditional_trends = True` (`{**knobs, "
            '"conditional_trends": True}`), TWFE\'s bias without controls (estimate − true '
            "ATT), as in exercise `twfe_bias`.",
        ),
        Exercise(
            "pretest",
            "Does the pre-test pass?",
            "Run the TWFE event study with event times −5 … 5 (`event_study(frame, 'nqp', "
            "**columns, window=(-5, 5))`). Does its joint pre-trend test **pass** at the 5% "
            "level, i.e. not reject (`True` or `False`)?",
            'study = event_study(frame, "nqp", **columns, window=(-5, 5), draws=1000)\n'
            'print(f"pre-trend test: p = {study.pretrend_p:.3f}")\n'
            'answers["pretest"] = bool(study.pretrend_p >= 0.05)',
            "bool",
            lambda ctx: bool(ctx.pretrend_p >= 0.05),
            starter_hint="True or False",
        ),
        Exercise(
            "pretrend_reject",
            "How often does the pre-test detect a pre-trend?",
            "With homogeneous effects (as in {ref}`ex-homogeneous`), set `pretrend = 0.02` "
            "(pilot cities growing 0.02 per year faster before their pilot). Does the TWFE "
            "event study's joint pre-trend test reject? Try `0.005`. What does this say about "
            "reading a non-rejection as evidence for {term}`parallel trends`?",
            "from replicate import teaching\n\n"
            f'design = montecarlo.Design({{**homogeneous, "pretrend": {PRETREND_LARGE}}}, seed=seed)\n'
            'pretests = teaching.run_fast("pretest", design, draws)  # one row per twin\n'
            'answers["pretrend_reject"] = (pretests["pretest_p"] < 0.05).mean()',
            "rate",
            lambda ctx: float(ctx.rejects(PRETREND_LARGE).mean()),
            _rate_mistakes(PRETREND_LARGE, passing=False),
            per_draw=lambda ctx: ctx.rejects(PRETREND_LARGE),
            starter_hint="a share between 0 and 1",
            chapter_label="ex-pretrend",
            ask=f"the **share** (between 0 and 1) of your `draws` twins with `pretrend = "
            f"{PRETREND_LARGE}` in which the joint pre-trend test rejects at 5%: "
            f'`teaching.run_fast("pretest", montecarlo.Design({{**homogeneous, "pretrend": '
            f"{PRETREND_LARGE}}}, seed=seed), draws)` (from `replicate import teaching`) has "
            "the test's p-value of each twin in column `pretest_p`.",
        ),
        Exercise(
            "pretest_pass",
            "How often does a small pre-trend pass the pre-test?",
            "Keep `pretrend = 0.005`. Report TWFE's error only in the draws whose pre-trend "
            'test does not reject — what a literature that publishes only "clean" event '
            "studies would show. Is it smaller than over all draws? (Read "
            "{cite}`roth_2022_pretest`.)",
            "from replicate import teaching\n\n"
            f'design = montecarlo.Design({{**homogeneous, "pretrend": {PRETREND_SMALL}}}, seed=seed)\n'
            'pretests = teaching.run_fast("pretest", design, draws)\n'
            'passed = pretests["pretest_p"] >= 0.05\n'
            'error = pretests["twfe"] - pretests["att"]\n'
            'print(f"mean error: all {error.mean():.4f}, passed {error[passed].mean():.4f}")\n'
            'answers["pretest_pass"] = passed.mean()',
            "rate",
            lambda ctx: 1 - float(ctx.rejects(PRETREND_SMALL).mean()),
            _rate_mistakes(PRETREND_SMALL, passing=True),
            per_draw=lambda ctx: ~ctx.rejects(PRETREND_SMALL),
            starter_hint="a share between 0 and 1",
            chapter_label="ex-pretest",
            ask=f"the **share** (between 0 and 1) of your `draws` twins with `pretrend = "
            f"{PRETREND_SMALL}` whose pre-trend test does **not** reject at 5% (the draws "
            "that literature would publish), as in exercise `pretrend_reject`. Print TWFE's "
            "mean error (`twfe − att`) over all of them and over those that pass, and compare; "
            "that comparison is not graded (a mean over however many of your twins pass, "
            "possibly none).",
        ),
        Exercise(
            "coverage",
            "The coverage of a clustered interval",
            "With homogeneous effects (as in {ref}`ex-homogeneous`, so TWFE is unbiased and "
            "coverage measures the standard errors alone), cluster TWFE by city and by "
            "province. Which intervals cover the true ATT about 95% of the time? How many "
            "clusters, and how many *treated* clusters, does each have?",
            'design = montecarlo.Design(mc_knobs, estimators=("twfe",), seed=seed)\n'
            "mc = montecarlo.run_fast(design, draws)  # every twin at once\n"
            'answers["coverage"] = montecarlo.summarise(mc).loc["TWFE", "coverage"]',
            "rate",
            lambda ctx: float(ctx.covered.mean()),
            _coverage_mistakes,
            per_draw=lambda ctx: ctx.covered,
            starter_hint="a share between 0 and 1",
            chapter_label="ex-clustering",
            ask="on twins with the same effect in every batch and no dynamics (`mc_knobs`), run "
            "a Monte Carlo of `draws` such twins (`montecarlo.run_fast`) and report the **share** of "
            "them (between 0 and 1) whose 95% interval, clustered by city, covers the true ATT.",
        ),
        Exercise(
            "mde",
            "The minimum detectable effect",
            "With homogeneous effects (as in {ref}`ex-homogeneous`), what is the smallest effect "
            "TWFE detects with 80% power at the 5% level? Set every batch's effect to it and "
            "check the rejection rate.",
            "from scipy import stats\n\n"
            "multiplier = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)\n"
            'answers["mde"] = multiplier * mc["se"].mean()',
            "mean",
            lambda ctx: ctx.mde_multiplier * float(ctx.monte_carlo["se"].mean()),
            _mde_mistakes,
            per_draw=lambda ctx: ctx.mde_multiplier * ctx.monte_carlo["se"].to_numpy(),
            chapter_label="ex-power",
            ask=f"from the Monte Carlo of exercise `coverage` (`mc`): the smallest effect TWFE "
            f"detects with 80% power in a two-sided 5% test is {MDE_MULTIPLIER_TEXT} × s.e. "
            "Use the mean city-clustered standard error over your twins (column `se` of the "
            "Monte Carlo table). Checking the rejection rate at that effect is not graded.",
        ),
    )
}
"""Every exercise, in the order of the notebook."""

NOT_GRADED: dict[str, str] = {
    "ex-cs-covariates": "not yet in the kit: its one-number form (the doubly robust "
    "Callaway–Sant'Anna estimate's error on the student's twin with conditional trends) has "
    "no second implementation here to check the key against (key and solution would both "
    "call moderndid), and the lesson it asks for, why base-year controls cannot capture "
    "controls the pilot moves, is a judgement, not a number; its numbers are in the "
    "chapter's solution",
    "ex-monte-carlo": "it asks how the chapter's own Monte Carlo changes when "
    "`monte_carlo_draws` is lowered (the bias stays, its Monte Carlo s.e. grows like "
    "1/√draws): a property of the simulation, not a number of the student's twin",
}
"""The teaching chapter's exercises the kit does not grade, with the reason (every other
chapter exercise is the ``chapter_label`` of an exercise above; a test checks that the
two lists cover the chapter)."""


def select(keys: Sequence[str] | None) -> list[Exercise]:
    """The exercises named (all by default), in notebook order; an unknown name is an error."""
    if not keys:
        return list(EXERCISES.values())
    unknown = [k for k in keys if k not in EXERCISES]
    if unknown:
        raise ValueError(
            f"--exercises: unknown exercise(s) {unknown}; the exercises are: {', '.join(EXERCISES)}."
        )
    if "mde" in keys and "coverage" not in keys:
        raise ValueError(
            "--exercises: 'mde' uses the Monte Carlo table of 'coverage'; add 'coverage' too."
        )
    if {"weighting", "forbidden"} & set(keys) and "twfe_bias" not in keys:
        raise ValueError(
            "--exercises: 'weighting' and 'forbidden' use the split of 'twfe_bias'; add it too."
        )
    return [e for e in EXERCISES.values() if e.key in keys]


def key_entry(exercise: Exercise, ctx: Context) -> dict:
    """The answer key of one exercise on one student's twin."""
    tol, se, rule = tolerance(exercise, ctx)
    truth = exercise.truth(ctx)
    mistakes = [{"value": float(v), "message": m} for v, m in exercise.mistakes(ctx)]
    entry = {
        "exercise": exercise.key,
        "kind": exercise.kind,
        "points": exercise.points,
        "truth": bool(truth) if exercise.kind == "bool" else float(truth),
        "tolerance": tol,
        "mc_se": se,
        "rule": rule,
        "mistakes": mistakes,
    }
    if exercise.key == "pretest":
        entry["pretrend_p"] = ctx.pretrend_p
    return entry
