"""Monte Carlo studies of the estimators on synthetic twins, on the multiverse runner.

Each draw generates a twin with the chosen :class:`replicate.data.synthetic.Knobs` and a
seed derived from the study's hash and the draw number (never from worker order), then
estimates each estimator's specification through :func:`replicate.multiverse.estimate_spec`
(city and year effects, no controls unless asked, city clusters). Draws run serially or on
Dask exactly like the multiverse (:func:`replicate.multiverse.run_tasks`), and resume from
the same Parquet store.

:func:`summarise` reports, per estimator, the mean estimate, bias against the true ATT of
treated city-years, RMSE, coverage of the 95% interval and the rejection rate of
``effect = 0`` (power), each with its Monte Carlo standard error (Morris, White &
Crowther 2019, "Using simulation studies to evaluate statistical methods", *Statistics in
Medicine* 38, Table 6): ``s.d./√R`` for the bias, ``√(p(1 − p)/R)`` for a rate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from replicate import multiverse as mv
from replicate._options import check_choice

DEFAULT_ESTIMATORS = ("twfe", "imputation")


@dataclass(frozen=True)
class Design:
    """A Monte Carlo design: the twin's knobs, the estimators and their controls."""

    knobs: dict
    estimators: tuple[str, ...] = DEFAULT_ESTIMATORS
    controls: tuple[str, ...] = ()
    seed: int = 0

    @property
    def hash(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def draw_seed(self, draw: int) -> int:
        """Seed of draw ``draw``: from the design's hash and the draw number only."""
        return int(hashlib.sha256(f"{self.hash}:{draw}".encode()).hexdigest()[:8], 16)


def _knobs(design: Design):
    from replicate.data.synthetic import Knobs

    knobs = dict(design.knobs)
    if knobs.get("cohort_effects"):
        knobs["cohort_effects"] = {int(k): float(v) for k, v in knobs["cohort_effects"].items()}
    return Knobs(**knobs)


def simulate_draw(task: Mapping, design: Design) -> list[dict]:
    """One draw: a twin, then every estimator of the design through ``estimate_spec``."""
    from replicate.data.synthetic import make_twin

    twin = make_twin(seed=int(task["seed"]), knobs=_knobs(design))
    prepared = mv.prepare(twin.panel(), recode=False)
    rows = []
    for estimator in design.estimators:
        spec = mv.Spec(estimator, design.controls, pilot_coding="as in the data")
        row = mv.estimate_spec(spec, prepared)
        rows.append({**row, "estimator": estimator, "draw": int(task["draw"])})
    truth = mv._round(twin.truth.att)
    return [{**r, "truth": truth} for r in rows]


def tasks(design: Design, draws: int) -> pd.DataFrame:
    """One task per draw, keyed by a hash of the design and the draw number."""
    if int(draws) < 1:
        raise ValueError(f"draws={draws}: give a positive number of draws, e.g. 1000.")
    frame = pd.DataFrame({"draw": range(draws)})
    frame["seed"] = [design.draw_seed(d) for d in frame["draw"]]
    frame["hash"] = [
        hashlib.sha256(f"{design.hash}:draw:{d}".encode()).hexdigest()[:16] for d in frame["draw"]
    ]
    return frame


def run(
    design: Design,
    draws: int,
    *,
    out: str | Path | None = None,
    scheduler: str | None = "serial",
    workers: int | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, mv.RunReport]:
    """Run ``draws`` draws of ``design``; returns one row per draw and estimator."""
    report = mv.run_tasks(
        tasks(design, draws),
        simulate_draw,
        design,
        data_hash=design.hash,
        out=out,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        name="draws",
    )
    table = report.results.sort_values(["estimator", "draw"], ignore_index=True)
    return table, report


def summarise(draws: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Bias, RMSE, coverage and power per estimator, with Monte Carlo standard errors."""
    rows = {}
    for estimator, d in draws[draws["status"] == "ok"].groupby("estimator", sort=False):
        r = len(d)
        err = d["estimate"] - d["truth"]
        has_ci = d["lower"].notna()
        covered = ((d["lower"] <= d["truth"]) & (d["truth"] <= d["upper"]))[has_ci]
        reject = (d["pvalue"] < 1 - level)[has_ci]

        def rate(x: pd.Series) -> tuple[float, float]:
            if not len(x):
                return np.nan, np.nan
            p = float(x.mean())
            return p, float(np.sqrt(p * (1 - p) / len(x)))

        cov, cov_se = rate(covered)
        power, power_se = rate(reject)
        rows[mv.ESTIMATOR_LABELS[estimator]] = {
            "draws": r,
            "truth (ATT)": float(d["truth"].iloc[0]),
            "mean estimate": float(d["estimate"].mean()),
            "bias": float(err.mean()),
            "bias MC s.e.": float(err.std(ddof=1) / np.sqrt(r)) if r > 1 else np.nan,
            "RMSE": float(np.sqrt((err**2).mean())),
            "coverage": cov,
            "coverage MC s.e.": cov_se,
            "power": power,
            "power MC s.e.": power_se,
            "failed": int((draws.loc[draws["estimator"] == estimator, "status"] != "ok").sum()),
        }
    order = [mv.ESTIMATOR_LABELS[e] for e in mv.ESTIMATORS if mv.ESTIMATOR_LABELS[e] in rows]
    table = pd.DataFrame(rows).T.loc[order].astype(float)
    return table.astype({"draws": int, "failed": int})


def _cohort_effects(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        return {int(k): float(v) for k, v in (p.split(":") for p in text.split(","))}
    except ValueError as exc:
        raise SystemExit(
            f"--cohort-effects {text!r}: write batch:effect pairs, e.g. 2014:0.3,2015:0.15"
        ) from exc


def _cmd_montecarlo(args) -> int:
    knobs = {
        "cohort_effects": _cohort_effects(args.cohort_effects),
        "dynamic_slope": args.dynamic_slope,
        "anticipation": args.anticipation,
        "pretrend": args.pretrend,
        "conditional_trends": not args.no_conditional_trends,
    }
    estimators = tuple(args.estimators.split(",")) if args.estimators else DEFAULT_ESTIMATORS
    for e in estimators:
        check_choice("estimators", e, mv.ESTIMATORS)
    controls: Sequence[str] = tuple(args.controls.split(",")) if args.controls else ()
    design = Design(knobs, estimators, tuple(controls), args.seed)
    scheduler = "serial" if args.serial else args.scheduler
    table, report = run(
        design,
        args.draws,
        out=args.out,
        scheduler=scheduler,
        workers=args.workers,
        progress=not args.quiet,
    )
    print(
        f"{args.draws} draws of design {design.hash}: {report.computed} computed, "
        f"{report.reused} reused, {report.seconds:.1f} s on {report.workers} worker(s)"
    )
    print(summarise(table).round(4).to_string())
    return 0


def register(subparsers) -> None:
    """Add ``replicate montecarlo`` (called by :func:`replicate.multiverse.register`)."""
    p = subparsers.add_parser(
        "montecarlo",
        help="coverage, bias and power of the estimators on synthetic twins",
        description="Draw synthetic twins with the chosen knobs and estimate each "
        "estimator on each; prints bias, RMSE, coverage and power with Monte Carlo "
        "standard errors. Runs on Dask like `replicate multiverse`.",
    )
    p.add_argument("--draws", type=int, required=True, help="number of twins")
    mv.runner_options(p, "montecarlo-results")
    p.add_argument("--estimators", help=f"comma-separated subset of {','.join(mv.ESTIMATORS)}")
    p.add_argument("--controls", help="comma-separated controls (default: none)")
    p.add_argument("--cohort-effects", help="effect per batch, e.g. 2014:0.3,2015:0.15,2016:0")
    p.add_argument("--dynamic-slope", type=float, default=0.0)
    p.add_argument("--anticipation", type=int, default=0)
    p.add_argument("--pretrend", type=float, default=0.0)
    p.add_argument("--no-conditional-trends", action="store_true")
    p.add_argument("--seed", type=int, default=0, help="seed of the design")
    p.set_defaults(func=_cmd_montecarlo)
