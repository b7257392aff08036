"""Scale of the DID estimators: event study, imputation, Callaway–Sant'Anna and a 100-draw
permutation test on growing staggered panels, each beside its baseline in the same way.

Uses the panels and the measuring machinery of ``benchmarks/scale.py`` (fresh spawned
process per call, best of ``--repeat``, peak RSS of that process):

* **event study** (``replicate.models.event_study.event_study``, window −5…5 binned, one
  control, CRV1 by unit, sup-t bands from 100,000 simulated draws) beside pyfixest
  ``feols`` with the same event-time indicators (``i(rel, ref=-1)``, never treated in the
  reference category). Target
  (issue 20): ≥ 1.0× pyfixest at every size; coefficients equal to 1e-8, s.e. to 1e-6.
* **imputation** (BJS, one control, conservative leave-out s.e.) beside pyfixest ``did2s``
  (Gardner's two-stage estimator: the same point estimate; its s.e. differ by design, see
  :func:`replicate.models.staggered.imputation`).
* **Sun–Abraham** (cohort × event-time indicators, never-treated controls, one control,
  CRV1 by unit; ours builds the indicators from integer codes, no dummy columns) beside
  pyfixest 0.60 ``event_study(estimator="saturated")``, the nearest peer: it is timed but
  not compared, because it parametrises differently (its own relative-time coding and
  reference periods; its cell coefficients differ from Sun–Abraham's). Our Sun–Abraham is
  checked instead against Callaway–Sant'Anna with never-treated controls
  (``tests/test_modern_did.py``). Target: ≥ 1.0×.
* **dCDH DID_M** (``replicate.models.dcdh``, 200-draw cluster bootstrap): no Python
  package here implements it, so the baseline is the identity it satisfies under absorbing
  adoption, the cohort-size-weighted ATT(g, g) of ``moderndid.att_gt`` (not-yet-treated
  controls, base g − 1); estimates must agree, the s.e. are not comparable (bootstrap vs
  none: the baseline's s.e. column is NaN).
* **Callaway–Sant'Anna** (doubly robust, never-treated controls, all four aggregations;
  native, :mod:`replicate.models._cs`) beside calling ``moderndid.att_gt`` and the same four
  ``aggte`` calls directly (numbers identical), and beside the ``csdid`` package's
  ``ATTgt(...).fit(est_method="dr", bstrap=False)`` (group-time ATTs only, so our side does
  more work; the 204 ATT(g, t) compared). Target (issue 20) at 28,500 units: ≥ 8× moderndid
  and ≥ 3× csdid.
* **permutation test**, 100 draws with one control, beside refitting pyfixest ``feols`` for
  each of the same 100 permutations. Target: at 28,500 units (513,000 rows) at least 10×
  faster; the first draws equal to 1e-8.

    python benchmarks/scale_did.py --sizes 285 2850        # quick
    python benchmarks/scale_did.py --rows permutation      # rows whose name contains this
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scale import YEARS, Estimates, _diff, measure

COLUMNS = {"unit": "unit", "time": "year", "cohort": "cohort"}
WINDOW = (-5, 5)
PERMUTATIONS = 100
PERMUTATION_SEED = 7
COMPARED_DRAWS = 5


def event_study_ours(data: pd.DataFrame) -> Estimates:
    from replicate.models.event_study import event_study

    res = event_study(data, "y", **COLUMNS, controls=["x"], window=WINDOW)
    terms = [e for e in range(WINDOW[0], WINDOW[1] + 1) if e != -1]
    return Estimates(
        dict(zip(map(str, terms), res.betahat, strict=True)),
        dict(zip(map(str, terms), np.sqrt(np.diag(res.sigma)), strict=True)),
    )


def event_study_pyfixest(data: pd.DataFrame) -> Estimates:
    import pyfixest as pf

    # Never-treated units have every indicator at zero: they share the reference category.
    rel = np.where(data["cohort"] > 0, np.clip(data["year"] - data["cohort"], *WINDOW), -1)
    ssc = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            "y ~ i(rel, ref=-1) + x | unit + year",
            data.assign(rel=rel),
            vcov={"CRV1": "unit"},
            ssc=ssc,
        )
    coef, se = fit.coef(), fit.se()
    names = [n for n in coef.index if "rel" in n]
    keys = [str(int(float(n.split("::")[-1].rstrip("]")))) for n in names]
    return Estimates(
        dict(zip(keys, coef[names], strict=True)), dict(zip(keys, se[names], strict=True))
    )


def imputation_ours(data: pd.DataFrame) -> Estimates:
    from replicate.models.staggered import imputation

    res = imputation(data, "y", **COLUMNS, controls=["x"])
    return Estimates({"ATT": res.estimate}, {"ATT": res.se})


def imputation_did2s(data: pd.DataFrame) -> Estimates:
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(
            data.assign(treat=data["did"].astype(bool)),
            yname="y",
            first_stage="~ x | unit + year",
            second_stage="~ treat",
            treatment="treat",
            cluster="unit",
        )
    return Estimates({"ATT": float(fit.coef().iloc[0])}, {"ATT": float(fit.se().iloc[0])})


def sun_abraham_ours(data: pd.DataFrame) -> Estimates:
    from replicate.models.staggered import sun_abraham

    res = sun_abraham(data, "y", **COLUMNS, controls=["x"])
    return Estimates({"overall": res.estimate}, {"overall": res.se})


def sun_abraham_saturated(data: pd.DataFrame) -> Estimates:
    """pyfixest 0.60 ``event_study(estimator="saturated")``: cohort × relative-time
    interactions with unit and year effects, timed only (its parametrisation differs from
    Sun–Abraham's: see the module docstring), so no number is compared."""
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf.event_study(
            data,
            yname="y",
            idname="unit",
            tname="year",
            gname="cohort",
            xfml="x",
            estimator="saturated",
            cluster="unit",
        )
    return Estimates({}, {})


def dcdh_ours(data: pd.DataFrame) -> Estimates:
    from replicate.models.dcdh import did_multiplegt

    res = did_multiplegt(data, "y", **COLUMNS)
    return Estimates({"DID_M": res.estimate}, {"DID_M": res.se})


def dcdh_cs_identity(data: pd.DataFrame) -> Estimates:
    """No Python DID_M exists here: the cohort-size-weighted ATT(g, g) of ``moderndid.att_gt``
    (not-yet-treated controls, base g − 1), equal to DID_M under absorbing treatment."""
    from replicate.models.dcdh import cs_instantaneous

    estimate = cs_instantaneous(data, "y", "unit", "year", "cohort")
    return Estimates({"DID_M": estimate}, {"DID_M": np.nan})


def cs_ours(data: pd.DataFrame) -> Estimates:
    from replicate.models.staggered import callaway_santanna

    res = callaway_santanna(data, "y", **COLUMNS)
    return Estimates(res.overall["estimate"].to_dict(), res.overall["se"].to_dict())


def cs_moderndid(data: pd.DataFrame) -> Estimates:
    import moderndid as md

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = md.att_gt(
            data=data[["unit", "year", "cohort", "y"]],
            yname="y",
            tname="year",
            idname="unit",
            gname="cohort",
            est_method="dr",
            random_state=0,
        )
        aggs = {
            k: md.aggte(out, type=k, random_state=0)
            for k in ("simple", "group", "dynamic", "calendar")
        }
    return Estimates(
        {k: float(a.overall_att) for k, a in aggs.items()},
        {k: float(a.overall_se) for k, a in aggs.items()},
    )


CS_CELLS = tuple(f"{g},{t}" for g in range(2008, 2020) for t in YEARS[1:])
"""The group-time cells of the scale panel (cohorts 2008–2019, varying base period)."""


def _cells(groups, times, att, se) -> Estimates:
    keys = [f"{int(g)},{int(t)}" for g, t in zip(groups, times, strict=True)]
    return Estimates(
        dict(zip(keys, map(float, att), strict=True)), dict(zip(keys, map(float, se), strict=True))
    )


def cs_ours_cells(data: pd.DataFrame) -> Estimates:
    """The same full call as :func:`cs_ours` (four aggregations too), its ATT(g, t) returned."""
    from replicate.models.staggered import callaway_santanna

    gt = callaway_santanna(data, "y", **COLUMNS).group_time
    return _cells(gt["cohort"], gt["year"], gt["estimate"], gt["se"])


def cs_csdid(data: pd.DataFrame) -> Estimates:
    from csdid.att_gt import ATTgt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ATTgt(
            yname="y",
            tname="year",
            idname="unit",
            gname="cohort",
            data=data[["unit", "year", "cohort", "y"]],
            control_group="nevertreated",
        ).fit(est_method="dr", bstrap=False)
    r = res.results
    return _cells(r["group"], r["year"], r["att"], r["se"])


def _csdid_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("csdid")
    except PackageNotFoundError:
        return "?"


def permutation_ours(data: pd.DataFrame) -> Estimates:
    from replicate.models.inference import permutation_test

    res = permutation_test(
        data, "y", **COLUMNS, controls=["x"], draws=PERMUTATIONS, seed=PERMUTATION_SEED
    )
    draws = {f"draw {i}": float(v) for i, v in enumerate(res.draws[:COMPARED_DRAWS])}
    return Estimates(draws, dict.fromkeys(draws, 1.0))


def permutation_refits(data: pd.DataFrame) -> Estimates:
    """The same permutations (same generator calls), each a full pyfixest refit."""
    import pyfixest as pf

    g_unit = data.groupby("unit", sort=True)["cohort"].first().to_numpy()
    rng = np.random.default_rng(PERMUTATION_SEED)
    orders = [rng.permutation(g_unit.size) for _ in range(PERMUTATIONS)]
    codes = pd.factorize(data["unit"], sort=True)[0]
    out = []
    for order in orders:
        fake = g_unit[order][codes]
        did = ((fake > 0) & (data["year"].to_numpy() >= fake)).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.feols("y ~ did_fake + x | unit + year", data.assign(did_fake=did), vcov="iid")
        out.append(float(fit.coef()["did_fake"]))
    draws = {f"draw {i}": v for i, v in enumerate(out[:COMPARED_DRAWS])}
    return Estimates(draws, dict.fromkeys(draws, 1.0))


ROWS: list[tuple[str, Callable, Callable, tuple[str, ...]]] = [
    (
        "event study −5…5, 1 control, CRV1",
        event_study_ours,
        event_study_pyfixest,
        tuple(str(e) for e in range(WINDOW[0], WINDOW[1] + 1) if e != -1),
    ),
    ("imputation (BJS) vs did2s", imputation_ours, imputation_did2s, ("ATT",)),
    ("Sun–Abraham vs pyfixest saturated", sun_abraham_ours, sun_abraham_saturated, ()),
    ("dCDH DID_M vs CS-identity (moderndid)", dcdh_ours, dcdh_cs_identity, ("DID_M",)),
    (
        "Callaway–Sant'Anna dr vs moderndid",
        cs_ours,
        cs_moderndid,
        ("simple", "group", "dynamic", "calendar"),
    ),
    (f"Callaway–Sant'Anna dr vs csdid {_csdid_version()}", cs_ours_cells, cs_csdid, CS_CELLS),
    (
        f"permutation, {PERMUTATIONS} draws vs refits",
        permutation_ours,
        permutation_refits,
        tuple(f"draw {i}" for i in range(COMPARED_DRAWS)),
    ),
]
"""``(name, ours, baseline, terms)`` as in ``benchmarks/scale.py``."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[285, 2_850, 28_500])
    parser.add_argument("--rows", default="", help="only rows whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many calls")
    args = parser.parse_args()
    rows = [r for r in ROWS if args.rows in r[0]]
    gib = 2**30
    print(f"{len(YEARS)} years; time = best of {args.repeat} calls; peak = max RSS of the process")
    header = (
        f"{'units':>8} {'rows':>10}  {'estimator':<38} {'ours s':>8} {'base s':>8} "
        f"{'base/ours':>9} {'ours µs/row':>11} {'ours GiB':>9} {'base GiB':>9} "
        f"{'Δestimate':>9} {'Δse rel':>9}"
    )
    print(header)
    print("-" * len(header))
    for units in args.sizes:
        for name, ours, baseline, terms in rows:
            t_ours, m_ours, r_ours = measure(ours, units, args.repeat)
            per_row = t_ours / (units * len(YEARS)) * 1e6
            try:
                t_base, m_base, r_base = measure(baseline, units, args.repeat)
            except (RuntimeError, EOFError) as err:  # e.g. did2s runs out of memory
                print(
                    f"{units:>8,} {units * len(YEARS):>10,}  {name:<38} {t_ours:>8.3f} "
                    f"{'failed':>8} {'':>9} {per_row:>11.2f} {m_ours / gib:>9.2f}   baseline failed: "
                    f"{type(err).__name__} {err}",
                    flush=True,
                )
                continue
            d_est = _diff(r_ours.estimate, r_base.estimate, terms, relative=False)
            se_terms = [t for t in terms if np.isfinite(r_base.se[t])]  # NaN: no baseline s.e.
            d_se = _diff(r_ours.se, r_base.se, se_terms, relative=True)
            print(
                f"{units:>8,} {units * len(YEARS):>10,}  {name:<38} {t_ours:>8.3f} "
                f"{t_base:>8.3f} {t_base / t_ours:>9.2f} {per_row:>11.2f} {m_ours / gib:>9.2f} "
                f"{m_base / gib:>9.2f} "
                + (f"{d_est:>9.1e} " if terms else f"{'not compared':>19}")
                + (f"{d_se:>9.1e}" if se_terms else f"{'—':>9}" if terms else ""),
                flush=True,
            )


if __name__ == "__main__":
    main()
