"""Throughput of the multiverse: the specification-sharing path against the per-specification
path, and the runner serial against a 2-worker Dask LocalCluster.

1. Old path against new path (issue #20), both on the same ``--workers`` LocalCluster
   (the chapter's default: 2), alternated ``--repeat`` times: the *old* path is what each
   specification cost before: its sample built from the panel (``multiverse.spec_frame``),
   TWFE through ``replicate.fit`` on it, two-way clustering from three fits (city, year,
   city × year), one Dask task per specification; the *new* path is ``multiverse``'s
   own: samples and TWFE demeanings built once per worker and shared by the
   specifications that use them, two-way clustering from one fit, the specifications
   sent in chunks in ``multiverse.as_tasks`` order. Prints, per estimator family and in total, the CPU seconds
   the workers spent (``time.thread_time`` around each specification), the ratio
   old / new, the wall time of each run and the CPU of the worker processes and this one
   in it (the scheduler's and the workers' own threads included); then the largest absolute and relative
   difference between the two paths over every specification's estimate, s.e., interval
   and p-value (unrounded), and whether the warnings are the same. Then the chapter's own
   call, ``run_multiverse(panel, scheduler="local", workers=2)``, cluster start-up
   included. Wall times move with other jobs on the machine; CPU times and ratios less.
2. (unless ``--paths-only``) The specification space on the twin, once in this process and
   once on the cluster: specifications per second and the speed-up (issue #14: ≥ 1.7×
   with 2 workers on a 2-core machine); both result tables byte-identical.
3. Scheduling overhead per task: ``--noop`` empty tasks through the runner and through
   bare ``Client.map``.
4. A Monte Carlo of TWFE and imputation, ``--draws`` twins (default 1,000), on the cluster.

BLAS and pyfixest's rayon pool are limited to one thread in this process, as in the
workers (``replicate.multiverse.local_cluster``), so the serial baseline is not a
multi-threaded one in disguise.

    python benchmarks/multiverse.py [--specs N] [--workers 2] [--repeat 2] [--paths-only]
"""

from __future__ import annotations

import os

for _name in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):  # as in replicate.multiverse.SINGLE_THREAD, before NumPy or pyfixest load
    os.environ[_name] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def _old_inference(estimate: float, se: float, df) -> dict:
    """The intervals as computed before #20 (frozen scipy distributions)."""
    import numpy as np
    from scipy import stats

    if not (np.isfinite(se) and se > 0):
        return {"lower": np.nan, "upper": np.nan, "pvalue": np.nan}
    dist = stats.t(df) if df else stats.norm()
    q = dist.ppf(1 - 0.05 / 2)
    return {
        "lower": estimate - q * se,
        "upper": estimate + q * se,
        "pvalue": 2 * dist.sf(abs(estimate / se)),
    }


def _old_twfe(spec, frame, trends) -> dict:
    """TWFE as each specification ran it before #20: ``replicate.fit`` on the
    specification's own frame; two-way clustering from three fits (CGM 2011, eq. 2.12)."""
    import numpy as np

    import replicate
    from replicate import multiverse as mv

    absorb = ["city_id", "year"] + (
        ["province^year"] if spec.fixed_effects == "city+year+province×year" else []
    )
    rhs = " + ".join(["did", *spec.controls, *trends])
    formula = f"{spec.outcome} ~ {rhs} | {' + '.join(absorb)}"
    if spec.cluster != "city+year":
        res = replicate.fit(formula, frame, vcov={"CRV1": mv._CLUSTER_COLUMN[spec.cluster]})
        estimate, se, df = float(res.params["did"]), float(res.std_errors["did"]), res.df_resid
        nobs, n_clusters = res.nobs, res.n_clusters
    else:
        fits = [
            replicate.fit(formula, frame, vcov={"CRV1": c}, small_sample="none")
            for c in ("city_id", "year", "_city_year")
        ]
        v = sum(f.cov.loc["did", "did"] * w for f, w in zip(fits, (1, 1, -1), strict=True))
        n, g = fits[0].nobs, min(fits[0].n_clusters, fits[1].n_clusters)
        sample = frame.loc[np.asarray(fits[0].sample)]

        def nested(effect: str, outer: str) -> bool:
            return bool((sample.groupby(effect.split("^"))[outer].nunique() <= 1).all())

        free = sum(
            sample.groupby(a.split("^")).ngroups - 1
            for a in absorb
            if not (nested(a, "city_id") or nested(a, "year"))
        )
        k = len(fits[0].params) + free
        variance = float(v * g / (g - 1) * (n - 1) / (n - k))
        if not variance > 0:
            raise ValueError(f"two-way clustered variance is {variance:.3g} (not positive)")
        estimate, se, df = float(fits[0].params["did"]), float(np.sqrt(variance)), g - 1
        nobs, n_clusters = fits[0].nobs, g
    return {
        "estimate": estimate,
        "se": se,
        **_old_inference(estimate, se, df),
        "nobs": nobs,
        "n_clusters": n_clusters,
    }


def _mboot_sup_t(inf, n, draws, seed, cluster=None, alpha=0.05):
    """``_cs.sup_t`` before #20: moderndid's ``mboot`` itself (its per-draw loop)."""
    import numpy as np
    from moderndid.did.mboot import mboot

    res = mboot(inf, n_units=n, biters=draws, alp=alpha, cluster=cluster, random_state=seed)
    return np.asarray(res["se"]), float(res["crit_val"])


@contextlib.contextmanager
def _as_before():
    """The estimators' internals as they were before #20, for the old path: the
    Callaway–Sant'Anna bootstrap through ``mboot`` and ``_common.check_finite`` parsing
    every column (its fast path off). Restored on exit."""
    from replicate.models import _common, _cs

    saved = _cs.sup_t, _common._plainly_finite
    _cs.sup_t, _common._plainly_finite = _mboot_sup_t, lambda values: False
    try:
        yield
    finally:
        _cs.sup_t, _common._plainly_finite = saved


def old_path(spec, prepared) -> dict:
    """One specification, nothing shared: its own sample, its own fits, the estimators'
    internals as before #20."""
    from replicate import multiverse as mv

    with _as_before():
        frame, trends = mv.spec_frame(spec, prepared)
        if spec.estimator == "twfe":
            return _old_twfe(spec, frame, trends)
        return mv.fit_staggered(spec, frame, trends)


def new_path(spec, prepared) -> dict:
    """One specification as ``replicate.multiverse`` estimates it (shared samples)."""
    from replicate import multiverse as mv

    return mv._estimate(spec, prepared)


def timed(task, prepared, path: str = "new") -> dict:
    """``path``'s estimate of one specification, unrounded, with its warnings and the CPU
    seconds it took in this thread (the bookkeeping of ``multiverse.estimate_spec``)."""
    import time
    import warnings

    from replicate import multiverse as mv

    spec = mv.Spec.from_row(task)
    start = time.thread_time()  # this thread's: not the worker's own threads (heartbeats…)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            row = {"status": "ok", **(old_path if path == "old" else new_path)(spec, prepared)}
        except Exception as exc:  # noqa: BLE001 - recorded, as estimate_spec does
            row = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
    row["cpu"] = time.thread_time() - start
    row["warning"] = " | ".join(sorted({str(w.message).splitlines()[0][:200] for w in caught}))
    return row


def _old_task(task, prepared):
    return timed(task, prepared, "old")


def _new_task(task, prepared):
    return timed(task, prepared, "new")


def compare_paths(specs, panel, scheduler: str, repeat: int) -> None:
    """Section 1: old path against new path on the cluster, per family and in total."""
    import numpy as np
    from distributed import Client

    from replicate import multiverse as mv

    client = Client(scheduler)

    def process_cpu() -> float:  # the workers' processes and this one, every thread
        return sum(client.run(time.process_time).values()) + time.process_time()

    runs = {  # old: one Dask task per specification, by hash; new: as run_multiverse sends them
        "old": (_old_task, specs.assign(priority=specs["estimator"].map(mv.COST)), 1),
        "new": (_new_task, mv.as_tasks(specs), None),
    }
    best = {}
    for _ in range(repeat):  # alternated, so both see the same background load
        for path, (fn, tasks, chunk) in runs.items():
            prepared = mv.prepare(panel)  # a new object: the workers' caches start empty
            start, cpu_start = time.perf_counter(), process_cpu()
            report = mv.run_tasks(
                tasks,
                fn,
                prepared,
                data_hash=path,
                scheduler=scheduler,
                progress=False,
                chunk=chunk,
            )
            wall, cpu = time.perf_counter() - start, process_cpu() - cpu_start
            if path not in best or wall < best[path][0]:
                rows = report.results.merge(specs[["hash", "estimator"]], on="hash")
                best[path] = (wall, rows, cpu)
    client.close()
    old, new = best["old"][1], best["new"][1]
    cpu = {p: best[p][1].groupby("estimator")["cpu"].sum() for p in best}
    counts = old.groupby("estimator").size()
    print(
        f"{'family':12s} {'specs':>6s} {'old CPU s':>10s} {'new CPU s':>10s} {'old/new':>8s} "
        f"{'old ms/spec':>12s} {'new ms/spec':>12s}"
    )
    for family in [*mv.ESTIMATORS, "total"]:
        if family == "total":
            n, a, b = len(old), cpu["old"].sum(), cpu["new"].sum()
        elif family in counts:
            n, a, b = counts[family], cpu["old"][family], cpu["new"][family]
        else:
            continue
        print(
            f"{family:12s} {n:6d} {a:10.2f} {b:10.2f} {a / b:7.2f}× "
            f"{1e3 * a / n:12.1f} {1e3 * b / n:12.1f}"
        )
    w_old, w_new = best["old"][0], best["new"][0]
    p_old, p_new = best["old"][2], best["new"][2]
    print(
        f"wall on the cluster (best of {repeat}): old {w_old:.1f} s, new {w_new:.1f} s, "
        f"{w_old / w_new:.2f}×; CPU of the worker processes and this one (Dask included) in "
        f"those runs: old {p_old:.1f} s, new {p_new:.1f} s, {p_old / p_new:.2f}×"
    )
    a, b = old.set_index("hash").sort_index(), new.set_index("hash").sort_index()
    worst_abs = worst_rel = 0.0
    identical = True
    for column in ("estimate", "se", "lower", "upper", "pvalue"):
        x, y = a[column].to_numpy(float), b[column].to_numpy(float)
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            identical, worst_abs, worst_rel = False, np.inf, np.inf
            continue
        ok = ~np.isnan(x)
        diff = np.abs(x[ok] - y[ok])
        worst_abs = max(worst_abs, float(diff.max(initial=0)))
        rel = diff / np.maximum(np.abs(x[ok]), np.finfo(float).tiny)
        worst_rel = max(worst_rel, float(rel.max(initial=0)))
        identical &= bool((x[ok] == y[ok]).all())
    same = {c: bool((a[c].fillna("") == b[c].fillna("")).all()) for c in ("status", "warning")}
    print(
        f"old vs new over {len(a):,} specifications (estimate, s.e., interval, p-value, "
        f"unrounded): max abs diff {worst_abs:.3g}, max rel diff {worst_rel:.3g}, "
        f"bit-identical: {identical}; same status: {same['status']}, "
        f"same warnings: {same['warning']}"
    )


def chapter_call(panel, workers: int) -> None:
    """The chapter's own call (new path), a new LocalCluster included, wall and CPU."""
    import resource

    from replicate import multiverse as mv

    def cpu() -> float:
        usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        return sum(u.ru_utime + u.ru_stime for u in usage)

    start, cpu_start = time.perf_counter(), cpu()
    result, report = mv.run_multiverse(panel, scheduler="local", workers=workers, progress=False)
    wall = time.perf_counter() - start
    print(
        f"chapter call run_multiverse(panel, scheduler='local', workers={workers}): "
        f"{len(result.table):,} specifications ({report.failed} failed) in {wall:.1f} s wall, "
        f"cluster start-up included ({cpu() - cpu_start:.1f} s CPU in this process and the "
        "finished worker processes)"
    )


def noop(task, shared):
    """An empty task: what the runner costs when the work costs nothing."""
    return {"status": "ok"}


def _warm(specs, prepared):
    from replicate import multiverse as mv

    for row in specs:
        mv.estimate_spec(row, prepared)
        timed(row, prepared, "old")


def _bare(x):
    return x


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--specs", type=int, help="first N specifications by hash (default: all)")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop", type=int, default=2000)
    parser.add_argument(
        "--repeat", type=int, default=2, help="alternate the runs compared, keep the best"
    )
    parser.add_argument(
        "--paths-only", action="store_true", help="only section 1 (old path against new path)"
    )
    args = parser.parse_args()

    import pandas as pd

    from replicate import montecarlo as mc
    from replicate import multiverse as mv
    from replicate.data import load_panel

    panel = load_panel("synthetic")
    prepared = mv.prepare(panel)
    specs = mv.space(codings=mv.codings_of(prepared))
    if args.specs:
        specs = specs.head(args.specs)
    n = len(specs)
    print(f"{n:,} specifications on {panel.label}; {os.cpu_count()} cores")

    if not args.specs:
        chapter_call(panel, args.workers)  # first: a cold start, as in the book build
    # Warm-up in this process (imports, first-call costs) on each estimator.
    warm = specs.drop_duplicates("estimator").to_dict("records")
    _warm(warm, prepared)
    start = time.perf_counter()
    client, cluster = mv.local_cluster(args.workers)
    print(f"LocalCluster({args.workers} workers) start-up: {time.perf_counter() - start:.1f} s")
    try:
        client.run(_warm, warm, mv.prepare(panel))  # every worker warmed the same way
        compare_paths(specs, panel, cluster.scheduler_address, args.repeat)
        if args.paths_only:
            return
        t_serial = t_dist = float("inf")
        for _ in range(args.repeat):  # alternated, so both see the same background load
            start = time.perf_counter()
            serial, _ = mv.run_multiverse(panel, specs, scheduler="serial", progress=False)
            t_serial = min(t_serial, time.perf_counter() - start)
            start = time.perf_counter()
            dist, report = mv.run_multiverse(
                panel, specs, scheduler=cluster.scheduler_address, progress=False
            )
            t_dist = min(t_dist, time.perf_counter() - start)
        print(f"serial:          {t_serial:8.1f} s  {n / t_serial:7.1f} specs/s")
        print(
            f"{report.workers} workers:       {t_dist:8.1f} s  {n / t_dist:7.1f} specs/s   "
            f"speed-up {t_serial / t_dist:.2f}× (target ≥ 1.7×)"
        )
        with tempfile.TemporaryDirectory() as tmp:
            a = serial.write(Path(tmp) / "a.parquet").read_bytes()
            b = dist.write(Path(tmp) / "b.parquet").read_bytes()
        print(f"byte-identical result tables: {a == b}")

        tasks = pd.DataFrame({"hash": [f"{i:016x}" for i in range(args.noop)]})
        start = time.perf_counter()
        mv.run_tasks(
            tasks,
            noop,
            None,
            data_hash="noop",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
        per_task = (time.perf_counter() - start) / args.noop
        start = time.perf_counter()
        client.gather(client.map(_bare, range(args.noop), pure=False))
        bare = (time.perf_counter() - start) / args.noop
        print(
            f"scheduling overhead per task: {per_task * 1e3:.2f} ms through the runner, "
            f"{bare * 1e3:.2f} ms bare Client.map (a TWFE fit takes ≈ 20–300 ms)"
        )

        design = mc.Design({}, ("twfe", "imputation"))
        start = time.perf_counter()
        table, rep = mc.run(design, args.draws, scheduler=cluster.scheduler_address)
        seconds = time.perf_counter() - start
        print(
            f"Monte Carlo of TWFE and imputation: {args.draws} draws in {seconds:.1f} s "
            f"({args.draws / seconds:.1f} draws/s on {rep.workers} workers)"
        )
        print(mc.summarise(table).round(4).to_string())
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
