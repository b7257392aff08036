"""Scale: time and peak memory of the estimators on growing staggered panels, beside a baseline.

Balanced panels of 285 (the paper), 2,850 (≈ China's counties), 28,500 and 285,000 (a firm
panel) units × 18 years, generated with NumPy from a fixed seed: ~30 "provinces", a
staggered adoption (a third never treated, the rest in cohorts 2008–2019), one control
and an outcome with unit, year and province-by-year effects.

Every row of :data:`ROWS` is ``(name, ours, baseline, terms)``: two functions of the panel
run in the same way, each in a fresh spawned process (so peak memory is that call's own:
``ru_maxrss`` of the child, which includes the panel itself) after one warm-up call on a
small panel; the script prints the time ratio ours / baseline and the largest differences of
the estimates and standard errors of ``terms``. Add a row to extend the benchmark.

Targets (issue 10): TWFE rows within 1.5× pyfixest's time at every size; 5.1 M rows
(285,000 units) under 8 GiB; numbers equal to 1e-8 (coefficients) and 1e-6 (s.e.).

    python benchmarks/scale.py                      # all four sizes (the last needs ~10 GiB free)
    python benchmarks/scale.py --sizes 285 2850     # quick
    python benchmarks/scale.py --rows twfe          # rows whose name contains "twfe"
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

SEED = 20241129
YEARS = np.arange(2005, 2023)
PROVINCES = 30
SIZES = (285, 2_850, 28_500, 285_000)
WARMUP_UNITS = 285


def make_panel(units: int, seed: int = SEED) -> pd.DataFrame:
    """A balanced staggered panel: ``unit, year, province, cohort, did, x, y`` (seeded)."""
    rng = np.random.default_rng(seed)
    t = YEARS.size
    unit = np.repeat(np.arange(units), t)
    year = np.tile(YEARS, units)
    province = np.repeat(rng.integers(0, PROVINCES, units), t)
    first = rng.integers(2008, 2020, units)
    cohort_unit = np.where(rng.random(units) < 1 / 3, 0, first)
    cohort = np.repeat(cohort_unit, t)
    did = ((cohort > 0) & (year >= cohort)).astype(float)
    x = rng.normal(size=unit.size) + 0.1 * (year - YEARS[0])
    effects = (
        np.repeat(rng.normal(size=units), t)
        + 0.05 * (year - YEARS[0])
        + rng.normal(scale=0.2, size=(PROVINCES, t))[province, year - YEARS[0]]
    )
    y = effects + 0.1 * did + 0.3 * x + rng.normal(scale=0.5, size=unit.size)
    return pd.DataFrame(
        {
            "unit": unit,
            "year": year,
            "province": province,
            "cohort": cohort,
            "did": did,
            "x": x,
            "y": y,
        }
    )


# ----------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Estimates:
    """What a row returns for comparison: estimates and standard errors by term."""

    estimate: dict[str, float]
    se: dict[str, float]


def fit_ours(data: pd.DataFrame, formula: str, vcov) -> Estimates:
    """``replicate.fit`` with reghdfe's small-sample convention."""
    from replicate import fit

    res = fit(formula, data, vcov=vcov, small_sample="reghdfe")
    return Estimates(res.params.to_dict(), res.std_errors.to_dict())


def fit_pyfixest(data: pd.DataFrame, formula: str, vcov) -> Estimates:
    """pyfixest ``feols`` with reghdfe's convention in its terms (see tests/test_fit.py)
    and its own default demeaning tolerance."""
    import pyfixest as pf

    ssc = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True)
    res = pf.feols(formula, data, vcov=vcov, ssc=ssc)
    return Estimates(res.coef().to_dict(), res.se().to_dict())


TWO_WAY = "y ~ did + x | unit + year"
THREE_WAY = "y ~ did + x | unit + year + province^year"
CRV1 = {"CRV1": "unit"}

ROWS: list[tuple[str, Callable, Callable, tuple[str, ...]]] = [
    (
        "twfe: unit + year FE, 1 control, CRV1",
        partial(fit_ours, formula=TWO_WAY, vcov=CRV1),
        partial(fit_pyfixest, formula=TWO_WAY, vcov=CRV1),
        ("did", "x"),
    ),
    (
        "twfe: + province^year FE",
        partial(fit_ours, formula=THREE_WAY, vcov=CRV1),
        partial(fit_pyfixest, formula=THREE_WAY, vcov=CRV1),
        ("did", "x"),
    ),
]
"""``(name, ours, baseline, terms)``: both take the panel and return :class:`Estimates`;
``terms`` are compared. Use module-level functions (or ``functools.partial`` of them): each
call runs in a spawned process, so it must pickle.
The three-way row's s.e. differ by design: pyfixest counts Σ levels − 2 for three effects,
we detect that the year effects are implied by province × year (tests/test_fit.py)."""


# ----------------------------------------------------------------------------- measuring


def _child(fn, units: int, repeat: int, conn) -> None:
    try:
        fn(make_panel(WARMUP_UNITS, SEED + 1))  # warm-up: imports, first-call costs
        data = make_panel(units)
        seconds = float("inf")
        for _ in range(repeat):  # best of `repeat`: the machine is shared
            start = time.perf_counter()
            result = fn(data)
            seconds = min(seconds, time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        conn.send(("ok", seconds, peak, result))
    except BaseException as err:  # report, never hang the parent
        conn.send(("error", 0.0, 0, f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


def measure(fn, units: int, repeat: int = 3):
    """Run ``fn(make_panel(units))`` in a fresh process: (best seconds, peak bytes, result)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, units, repeat, child))
    proc.start()
    child.close()
    status, seconds, peak, result = parent.recv()
    proc.join()
    if status != "ok":
        raise RuntimeError(result)
    return seconds, peak, result


def _diff(a: dict, b: dict, terms, relative: bool) -> float:
    out = 0.0
    for t in terms:
        d = abs(a[t] - b[t]) / (abs(b[t]) if relative else 1.0)
        out = max(out, d)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="units")
    parser.add_argument("--rows", default="", help="only rows whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many calls")
    args = parser.parse_args()
    rows = [r for r in ROWS if args.rows in r[0]]
    gib = 2**30
    print(
        f"{len(YEARS)} years; time = best of {args.repeat} calls (wall seconds); "
        "peak = max RSS of the process that ran them"
    )
    header = (
        f"{'units':>8} {'rows':>10}  {'estimator':<40} {'ours s':>8} {'base s':>8} "
        f"{'ratio':>6} {'ours GiB':>9} {'base GiB':>9} {'Δcoef':>9} {'Δse rel':>9}"
    )
    print(header)
    print("-" * len(header))
    for units in args.sizes:
        n = units * len(YEARS)
        for name, ours, baseline, terms in rows:
            t_ours, m_ours, r_ours = measure(ours, units, args.repeat)
            t_base, m_base, r_base = measure(baseline, units, args.repeat)
            d_coef = _diff(r_ours.estimate, r_base.estimate, terms, relative=False)
            d_se = _diff(r_ours.se, r_base.se, terms, relative=True)
            print(
                f"{units:>8,} {n:>10,}  {name:<40} {t_ours:>8.3f} {t_base:>8.3f} "
                f"{t_ours / t_base:>6.2f} {m_ours / gib:>9.2f} {m_base / gib:>9.2f} "
                f"{d_coef:>9.1e} {d_se:>9.1e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
