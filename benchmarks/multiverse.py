"""Throughput of the multiverse runner: serial against a 2-worker Dask LocalCluster.

1. The specification space on the twin (all of it by default), once in this process and
   once on a ``LocalCluster`` of ``--workers`` single-threaded processes started
   beforehand (its start-up time is printed separately). Prints specifications per
   second for each and the speed-up; target (issue #14): ≥ 1.7× with 2 workers on a
   2-core machine. Also checks that both result tables are byte-identical.
2. Scheduling overhead per task: ``--noop`` empty tasks through the runner on the same
   cluster, and through bare ``Client.map``, per task.
3. A Monte Carlo of TWFE and imputation, ``--draws`` twins (default 1,000), on the cluster.

BLAS and pyfixest's rayon pool are limited to one thread in this process, as in the
workers (``replicate.multiverse.local_cluster``), so the serial baseline is not a
multi-threaded one in disguise.

    python benchmarks/multiverse.py [--specs N] [--draws N] [--workers 2] [--repeat 3]
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
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def noop(task, shared):
    """An empty task: what the runner costs when the work costs nothing."""
    return {"status": "ok"}


def _warm(specs, prepared):
    from replicate import multiverse as mv

    for row in specs:
        mv.estimate_spec(row, prepared)


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
        "--repeat", type=int, default=1, help="alternate serial and cluster runs, keep the best"
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

    # Warm-up in this process (imports, first-call costs) on each estimator.
    warm = specs.drop_duplicates("estimator").to_dict("records")
    _warm(warm, prepared)
    start = time.perf_counter()
    client, cluster = mv.local_cluster(args.workers)
    print(f"LocalCluster({args.workers} workers) start-up: {time.perf_counter() - start:.1f} s")
    try:
        client.run(_warm, warm, prepared)  # every worker warmed the same way
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
