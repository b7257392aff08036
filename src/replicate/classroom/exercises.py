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
        from replicate import multiverse as mv

        prepared = mv.prepare(self.twin.panel(), recode=False)
        fit = mv.estimate_spec(mv.Spec("twfe", (), pilot_coding="as in the data"), prepared)
        if fit["status"] != "ok":
            raise RuntimeError(f"TWFE failed on the twin of seed {self.seed}: {fit['error']}")
        return float(fit["estimate"])

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

    @property
    def starter(self) -> str:
        return f'answers["{self.key}"] = None  # {self.starter_hint}'


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
            "coverage",
            "The coverage of a clustered interval",
            "On twins with the same effect in every batch and no dynamics (`mc_knobs`), TWFE "
            "is unbiased. Run a Monte Carlo of `draws` such twins (`montecarlo.run`) and report "
            "the **share** of them (between 0 and 1) whose 95% interval, clustered by city, "
            "covers the true ATT.",
            'design = montecarlo.Design(mc_knobs, estimators=("twfe",), seed=seed)\n'
            "mc, _ = montecarlo.run(design, draws)\n"
            'answers["coverage"] = montecarlo.summarise(mc).loc["TWFE", "coverage"]',
            "rate",
            lambda ctx: float(ctx.covered.mean()),
            _coverage_mistakes,
            per_draw=lambda ctx: ctx.covered,
            starter_hint="a share between 0 and 1",
        ),
        Exercise(
            "mde",
            "The minimum detectable effect",
            f"From the same Monte Carlo: the smallest effect TWFE detects with 80% power in a "
            f"two-sided 5% test is {MDE_MULTIPLIER_TEXT} × s.e. Use the mean city-clustered "
            f"standard error over your twins (column `se` of the Monte Carlo table).",
            "from scipy import stats\n\n"
            "multiplier = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)\n"
            'answers["mde"] = multiplier * mc["se"].mean()',
            "mean",
            lambda ctx: ctx.mde_multiplier * float(ctx.monte_carlo["se"].mean()),
            _mde_mistakes,
            per_draw=lambda ctx: ctx.mde_multiplier * ctx.monte_carlo["se"].to_numpy(),
        ),
    )
}
"""Every exercise, in the order of the notebook."""


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
