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

from replicate.classroom.language import MissingTranslation, T, chapter_prompt_zh, pick

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


Mistakes = Callable[[Context], Sequence[tuple[float, T]]]
"""The likely wrong answers of an exercise on one twin: ``(value, message)``, the message in
both languages."""


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
    zh: Mapping[str, str] = field(default_factory=dict)
    """The Chinese of ``title``, ``ask``, ``starter_hint`` and (for the kit's own exercises)
    ``prompt``; a chapter exercise's Chinese prompt is the chapter's translation
    (:func:`replicate.classroom.language.chapter_prompt_zh`), never written here."""

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

    def prompt_in(self, language: str) -> str:
        """The prompt as written (MyST roles kept), in ``language``."""
        if language != "zh":
            return self.prompt
        if self.chapter_label:
            return chapter_prompt_zh(self.chapter_label, self.prompt)
        return self._zh("prompt")

    def _zh(self, part: str) -> str:
        """One Chinese text of this exercise; missing, it is an error naming it."""
        text = self.zh.get(part, "")
        if not text.strip():
            raise MissingTranslation(
                f"exercise {self.key}: no Chinese {part}. Fix: add it to the exercise's "
                f"`zh` in replicate/classroom/exercises.py."
            )
        return text

    def title_in(self, language: str) -> str:
        return self._zh("title") if language == "zh" else self.title

    def text_in(self, language: str) -> str:
        """:attr:`text` in ``language``."""
        if language != "zh":
            return self.text
        shown = plain(self.prompt_in("zh"), "zh")
        if self.chapter_label:
            shown += f"\n\n*（本书教学章节的练习 `{self.chapter_label}`。）*"
        return shown + (f"\n\n**你的答案：**{self._zh('ask')}" if self.ask else "")

    def starter_in(self, language: str) -> str:
        if language != "zh":
            return self.starter
        hint = self.zh.get("starter_hint", STARTER_HINTS_ZH.get(self.starter_hint, ""))
        return f'answers["{self.key}"] = None  # {hint}'

    def solution_in(self, language: str) -> str:
        """The solution code, its comments and printed words in ``language``
        (:data:`SOLUTION_ZH`); the code itself is the same."""
        if language != "zh":
            return self.solution
        code = self.solution
        for english, chinese in SOLUTION_ZH.items():
            code = code.replace(english, chinese)
        return code


STARTER_HINTS_ZH = {
    "your number": "你的数值",
    "True or False": "True 或 False",
    "a share between 0 and 1": "0 到 1 之间的比例",
}
"""The Chinese of the starter lines' hints (``answers[...] = None  # hint``)."""
SOLUTION_ZH = {
    "# the weighting and forbidden parts are zero": "# 方差加权部分和“禁止的”比较部分为零",
    "# g: dated at implementation": "# g：按实施时间确定的批次",
    "# one row per twin": "# 每组孪生数据一行",
    "# every twin at once": "# 一次模拟全部孪生数据",
    'f"pre-trend test: p = ': 'f"事前趋势检验：p = ',
    'f"mean error: all {error.mean():.4f}, passed {error[passed].mean():.4f}"': (
        'f"平均误差：全部 {error.mean():.4f}，通过检验的 {error[passed].mean():.4f}"'
    ),
}
"""The Chinese of the solutions' comments and printed words (a test checks that each is in
a solution and that no English comment is left)."""


def plain(text: str, language: str = "en") -> str:
    """MyST roles as plain Markdown, for a notebook outside the book: ``{term}`x``` → x,
    ``{ref}`ex-…``` → the kit's exercise of that chapter label, ``{cite}`roth_2022_x``` →
    Roth (2022)."""
    import re

    labels = {e.chapter_label: e.key for e in EXERCISES.values() if e.chapter_label}

    def ref(match):
        label = match.group(1)
        if label not in labels:
            return f"`{label}`"
        return pick(language, f"exercise `{labels[label]}`", f"练习 `{labels[label]}`")

    def cite(match):
        names = []
        for key in match.group(1).split(","):
            author, _, rest = key.strip().partition("_")
            names.append(f"{author.replace('-', ' ').title()} ({rest.split('_')[0]})")
        return "; ".join(names)

    if language == "zh":  # "如 {ref}`…`" → "如练习 `…`": no space after a Chinese character
        text = re.sub(r"(?<=[\u4e00-\u9fff（])\s+(?=\{ref\})", "", text)
    text = re.sub(r"\{ref\}`([^`]+)`", ref, text)
    text = re.sub(r"\{term\}`([^`<]+?)\s*(?:<[^>]*>)?`", r"\1", text)
    return re.sub(r"\{cite(?::\w+)?\}`([^`]+)`", cite, text)


def tolerance(exercise: Exercise, ctx: Context, language: str = "en") -> tuple[float, float, str]:
    """``(tolerance, Monte Carlo s.e., the rule in words)`` of one exercise on one twin."""
    if exercise.kind == "bool":
        return 0.0, 0.0, pick(language, "exact (yes or no)", "精确（是或否）")
    if exercise.kind == "exact":
        return (
            ROUNDING,
            0.0,
            pick(
                language,
                f"exact on your twin; ±{ROUNDING:g} for rounding",
                f"在你的孪生数据上是精确值；允许 ±{ROUNDING:g} 的舍入误差",
            ),
        )
    values = np.asarray(exercise.per_draw(ctx), float)
    if exercise.kind == "rate":
        k = len(values)
        p = float(np.clip(values.mean(), 0.5 / k, 1 - 0.5 / k))  # never a zero s.e.
        se = float(np.sqrt(p * (1 - p) / ctx.draws))
        rule = pick(
            language,
            f"{TOLERANCE_Z:g} × √(p(1 − p)/{ctx.draws}), p from {k} twins",
            f"{TOLERANCE_Z:g} × √(p(1 − p)/{ctx.draws})，p 来自 {k} 组孪生数据",
        )
    else:
        se = float(values.std(ddof=1) / np.sqrt(ctx.draws))
        rule = pick(
            language,
            f"{TOLERANCE_Z:g} × s.d./√{ctx.draws}, s.d. from {len(values)} twins",
            f"{TOLERANCE_Z:g} × 标准差/√{ctx.draws}，标准差来自 {len(values)} 组孪生数据",
        )
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
        (
            ctx.twfe,
            T(
                f"this is the TWFE estimate, not the {BATCH} batch's true ATT",
                f"这是 TWFE 估计值，不是 {BATCH} 批次的真实 ATT",
            ),
        ),
        (
            truth.att,
            T(
                f"this is the true ATT of all treated city-years, not of the {BATCH} batch",
                f"这是全部受处理城市—年份的真实 ATT，不是 {BATCH} 批次的",
            ),
        ),
        (
            float(f.loc[(f["g"] == BATCH) & (f["year"] == BATCH), "tau"].mean()),
            T(
                f"this is the {BATCH} batch's effect in its pilot year only; its ATT averages "
                "every treated year, and the effect grows each year",
                f"这只是 {BATCH} 批次在试点当年的效应；它的 ATT 是所有受处理年份的平均，"
                "而效应逐年增长",
            ),
        ),
        (
            float(_batch_rows(ctx, None)["tau"].mean()),
            T(
                f"this averages the {BATCH} batch over every year, including the untreated "
                "years before its pilot",
                f"这是 {BATCH} 批次在所有年份上的平均，包括试点之前未受处理的年份",
            ),
        ),
    ]
    for batch, value in truth.by_cohort.items():
        if int(batch) != BATCH:
            out.append(
                (
                    float(value),
                    T(
                        f"this is the {batch} batch's true ATT, not the {BATCH} batch's",
                        f"这是 {batch} 批次的真实 ATT，不是 {BATCH} 批次的",
                    ),
                )
            )
    return out


IS_THE_ESTIMATE = T(
    "this is the TWFE estimate itself; the bias is the estimate minus the true ATT",
    "这是 TWFE 估计值本身；偏误是估计值减去真实 ATT",
)
IS_THE_TRUTH = T(
    "this is the true ATT; the bias is the TWFE estimate minus it",
    "这是真实 ATT；偏误是 TWFE 估计值减去它",
)


def _bias_mistakes(ctx: Context):
    shared = float(ctx.parts["variance weighting"] + ctx.parts["forbidden comparison"])
    return [
        (ctx.twfe, IS_THE_ESTIMATE),
        (
            shared,
            T(
                "this is only the part of the bias every twin of your design shares (variance "
                "weighting + forbidden comparisons); your twin's bias also has its noise part",
                "这只是你这一设计的所有孪生数据共有的那部分偏误（方差加权 + “禁止的”比较）；"
                "你的孪生数据的偏误还包含噪声部分",
            ),
        ),
        (ctx.twin.truth.att, IS_THE_TRUTH),
    ]


def _part_mistakes(part: str):
    names = {
        "variance weighting": T("the variance-weighting part", "方差加权部分"),
        "forbidden comparison": T("the forbidden-comparison part", "“禁止的”比较部分"),
        "noise and trend violation": T(
            "the noise (and trend-violation) part", "噪声（及趋势违背）部分"
        ),
    }
    asked = names[part]

    def mistakes(ctx: Context):
        out = [
            (
                float(ctx.parts[other]),
                T(f"this is {label.en}, not {asked.en}", f"这是{label.zh}，不是{asked.zh}"),
            )
            for other, label in names.items()
            if other != part
        ]
        out.append(
            (
                float(ctx.parts["total"]),
                T(
                    f"this is the whole bias, not {asked.en} alone",
                    f"这是全部偏误，不只是{asked.zh}",
                ),
            )
        )
        return out

    return mistakes


def _coverage_mistakes(ctx: Context):
    mc = ctx.monte_carlo
    power = float((mc["pvalue"] < 0.05).mean())
    return [
        (
            1 - float(ctx.covered.mean()),
            T(
                "this is the share of intervals that miss the true ATT (1 − coverage)",
                "这是未覆盖真实 ATT 的区间所占的比例（1 − 覆盖率）",
            ),
        ),
        (
            power,
            T(
                "this is the rejection rate of 'effect = 0' (the power), not the coverage of "
                "the true ATT",
                "这是“效应 = 0”的拒绝率（功效），不是对真实 ATT 的覆盖率",
            ),
        ),
    ]


def _mde_mistakes(ctx: Context):
    se = float(ctx.monte_carlo["se"].mean())
    return [
        (
            1.959964 * se,
            T(
                "this is z₀.₉₇₅ × s.e.: the effect detected with only 50% power; add z₀.₈₀ ≈ "
                "0.84 for 80% power",
                "这是 z₀.₉₇₅ × 标准误：只有 50% 功效时可检测到的效应；要达到 80% 功效，"
                "还需加上 z₀.₈₀ ≈ 0.84",
            ),
        ),
        (
            se,
            T(
                "this is the mean standard error itself; the MDE multiplies it by "
                f"{MDE_MULTIPLIER_TEXT}",
                f"这是平均标准误本身；最小可检测效应要把它乘以 {MDE_MULTIPLIER_TEXT}",
            ),
        ),
        (
            ctx.monte_carlo["estimate"].mean(),
            T(
                "this is the mean TWFE estimate, not the minimum detectable effect",
                "这是 TWFE 估计值的均值，不是最小可检测效应",
            ),
        ),
    ]


def _variant_bias_mistakes(name: T, changes: Mapping):
    def mistakes(ctx: Context):
        v = ctx.variant(**changes)
        return [
            (v.twfe, IS_THE_ESTIMATE),
            (
                ctx.twfe - float(ctx.twin.truth.att),
                T(
                    f"this is TWFE's bias on your twin as handed out, not on the twin with "
                    f"{name.en}",
                    f"这是 TWFE 在发给你的原始孪生数据上的偏误，不是在{name.zh}的孪生数据上的",
                ),
            ),
            (float(v.twin.truth.att), IS_THE_TRUTH),
        ]

    return mistakes


def _anticipation_mistakes(ctx: Context):
    v = ctx.variant(anticipation=ANTICIPATION)
    f = v.frame
    event = f["year"] - f["g"]
    announced = (f["g"] > 0) & (event >= -ANTICIPATION)
    return [
        (
            v.imputation,
            T(
                "this is the imputation estimate itself, not its error",
                "这是插补估计值本身，不是它的误差",
            ),
        ),
        (
            v.imputation - float(f.loc[announced, "tau"].mean()),
            T(
                "this is the error against the effect from the announcement on; dated at "
                "implementation, the estimate is compared with the ATT from the pilot year on",
                "这是相对于从公布时起的效应的误差；批次按实施时间确定时，估计值应与从试点年份起"
                "的 ATT 比较",
            ),
        ),
        (
            v.twfe - v.att_treated,
            T(
                "this is TWFE's error; the exercise asks for the imputation estimator's",
                "这是 TWFE 的误差；本题问的是插补估计量的误差",
            ),
        ),
    ]


def _rate_mistakes(slope: float, passing: bool):
    def mistakes(ctx: Context):
        rate = float(ctx.rejects(slope).mean())
        other = PRETREND_SMALL if slope == PRETREND_LARGE else PRETREND_LARGE
        other_rate = float(ctx.rejects(other).mean())
        asked, flip = ("pass", "rejection") if passing else ("rejection", "pass")
        asked_zh, flip_zh = ("通过率", "拒绝率") if passing else ("拒绝率", "通过率")
        return [
            (
                rate if passing else 1 - rate,
                T(
                    f"this is the {flip} rate (1 − the {asked} rate)",
                    f"这是{flip_zh}（1 − {asked_zh}）",
                ),
            ),
            (
                1 - other_rate if passing else other_rate,
                T(
                    f"this is the {asked} rate with pretrend = {other:g}, not {slope:g}",
                    f"这是 pretrend = {other:g} 时的{asked_zh}，不是 {slope:g} 时的",
                ),
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
            zh={
                "title": f"{BATCH} 批次的真实 ATT",
                "prompt": f"`frame['tau']` 是孪生数据中试点在每个城市—年份的真实效应（`g` 是城市"
                f"首次成为试点的年份，从未成为试点则为 0；`did` 从该年起取 1）。**{BATCH} 批次**"
                "的处理组平均处理效应（ATT），即该批次所有受处理城市—年份上 `tau` 的均值，是多少？"
                "把它与练习 2 的 TWFE 估计值比较。",
            },
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
            zh={
                "title": "你的孪生数据上 TWFE 的偏误",
                "prompt": "在你的孪生数据上估计静态双向固定效应（TWFE）回归 `nqp ~ did | "
                "city_id + year`，并与全部受处理城市—年份的真实 ATT 比较：它的**偏误**（估计值 − "
                "真实 ATT）是多少？`twfe_bias(frame, 'nqp', 'tau', **columns)` 给出估计值"
                "（`.twfe`）、真实值（`.att`）以及练习 3 和 4 所用的分解。",
            },
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
            zh={
                "title": "偏误中的方差加权部分",
                "prompt": "把偏误分解为各个部分（`split.by_part()`：Goodman-Bacon 的 2×2 比较，"
                "对照真实效应）。**方差加权**部分是多少：每个比较自身的效应减去 ATT，再按 TWFE 的"
                "权重加权？",
            },
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
            zh={
                "title": "偏误中的“禁止的”比较部分",
                "prompt": "**“禁止的”比较**部分是多少：TWFE 用作对照的已受处理城市的效应变化，"
                "取负号，再按 TWFE 的权重加权？",
            },
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
            _variant_bias_mistakes(T("homogeneous effects", "效应同质"), HOMOGENEOUS),
            chapter_label="ex-homogeneous",
            ask="TWFE's bias (estimate − true ATT) on your own twin with these effects: "
            "`homogeneous` (set up above) is your `knobs` with them (and no anticipation, "
            "pre-trend or confounding). Make the twin with `synthetic.make_twin(seed=seed, "
            "knobs=synthetic.Knobs(**homogeneous))`, its `frame` as in the setup cell, and "
            "split the bias with `twfe_bias`: the two parts should be zero, so what is left "
            "is noise.",
            zh={
                "title": "同质效应：TWFE 无偏吗？",
                "ask": "在具有这些效应的你自己的孪生数据上，TWFE 的偏误（估计值 − 真实 ATT）："
                "`homogeneous`（已在上面设定）就是换上这些效应的你的 `knobs`（并且没有预期效应、"
                "事前趋势和混杂）。用 `synthetic.make_twin(seed=seed, "
                "knobs=synthetic.Knobs(**homogeneous))` 生成孪生数据，像设置单元格那样构造它的 "
                "`frame`，再用 `twfe_bias` 分解偏误：两个部分应为零，剩下的就是噪声。",
            },
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
            zh={
                "title": "预期效应：按实施时间确定的批次",
                "ask": f"在 `anticipation = {ANTICIPATION}`"
                f'（`{{**knobs, "anticipation": {ANTICIPATION}}}`）的你自己的孪生数据上，批次按'
                "实施时间确定时**插补估计量**的误差：`imputation(frame, 'nqp', **columns)`"
                "（来自 `replicate.models.staggered`）减去从试点年份起各城市—年份的真实 ATT"
                "（`did == 1` 处 `tau` 的均值）。",
            },
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
            _variant_bias_mistakes(
                T("conditional trends", "条件趋势"), {"conditional_trends": True}
            ),
            chapter_label="ex-conditional",
            ask="on your own twin with `conditional_trends = True` (`{**knobs, "
            '"conditional_trends": True}`), TWFE\'s bias without controls (estimate − true '
            "ATT), as in exercise `twfe_bias`.",
            zh={
                "title": "条件平行趋势：不含控制变量的 TWFE",
                "ask": "在 `conditional_trends = True`（`{**knobs, "
                '"conditional_trends": True}`）的你自己的孪生数据上，不含控制变量的 TWFE 的偏误'
                "（估计值 − 真实 ATT），做法同练习 `twfe_bias`。",
            },
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
            zh={
                "title": "事前检验能通过吗？",
                "prompt": "运行事件时间为 −5 … 5 的 TWFE 事件研究（`event_study(frame, 'nqp', "
                "**columns, window=(-5, 5))`）。它的联合事前趋势检验在 5% 水平上是否**通过**，"
                "即不拒绝（`True` 或 `False`）？",
            },
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
            zh={
                "title": "事前检验多常发现事前趋势？",
                "ask": f"在你的 `draws` 组 `pretrend = {PRETREND_LARGE}` 的孪生数据中，联合事前"
                "趋势检验在 5% 水平上拒绝的**比例**（0 到 1 之间）："
                f'`teaching.run_fast("pretest", montecarlo.Design({{**homogeneous, "pretrend": '
                f"{PRETREND_LARGE}}}, seed=seed), draws)`（来自 `replicate import teaching`）的 "
                "`pretest_p` 列是每组孪生数据上该检验的 p 值。",
            },
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
            zh={
                "title": "较小的事前趋势多常通过事前检验？",
                "ask": f"在你的 `draws` 组 `pretrend = {PRETREND_SMALL}` 的孪生数据中，事前趋势"
                "检验在 5% 水平上**不**拒绝的**比例**（0 到 1 之间；即那类文献会发表的抽样），"
                "做法同练习 `pretrend_reject`。打印 TWFE 在全部抽样上和通过检验的抽样上的平均误差"
                "（`twfe − att`）并加以比较；这一比较不计分（它是对碰巧通过检验的那些孪生数据求"
                "均值，可能一个也没有）。",
            },
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
            zh={
                "title": "聚类区间的覆盖率",
                "ask": "在每个批次效应相同、没有动态变化的孪生数据（`mc_knobs`）上，对 `draws` 组"
                "这样的孪生数据做蒙特卡洛模拟（`montecarlo.run_fast`），报告其中按城市聚类的 95% "
                "区间覆盖真实 ATT 的**比例**（0 到 1 之间）。",
            },
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
            zh={
                "title": "最小可检测效应",
                "ask": "根据练习 `coverage` 的蒙特卡洛结果（`mc`）：在双侧 5% 检验中，TWFE 以 "
                f"80% 功效能检测到的最小效应是 {MDE_MULTIPLIER_TEXT} × 标准误。使用你的孪生数据上"
                "按城市聚类的标准误的均值（蒙特卡洛表的 `se` 列）。在该效应下检验拒绝率不计分。",
            },
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


def key_entry(exercise: Exercise, ctx: Context, language: str = "en") -> dict:
    """The answer key of one exercise on one student's twin (its messages in ``language``;
    its numbers do not depend on it)."""
    tol, se, rule = tolerance(exercise, ctx, language)
    truth = exercise.truth(ctx)
    # Every message in both languages too, so that `grade --language` can override the
    # assignment's language without recomputing the twin.
    mistakes = [
        {"value": float(v), "message": m(language), "messages": {"en": m.en, "zh": m.zh}}
        for v, m in exercise.mistakes(ctx)
    ]
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
