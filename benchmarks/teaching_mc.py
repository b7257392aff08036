"""Teaching Monte Carlo: the per-twin runner (montecarlo.run / teaching.run, the baseline)
against the fast path (montecarlo.run_fast / teaching.run_fast) on the same seeds, in one
process; then the fast path's growth in the number of twins. Prints CPU seconds (process
time, so the shared machine's load does not enter) and the ratio. The two paths' numbers are
equal to 1e-10 (tests/test_teaching.py).

    python benchmarks/teaching_mc.py
"""

import time

from replicate import montecarlo, teaching

KNOBS = {
    "cohort_effects": {2014: 0.30, 2015: 0.15, 2016: 0.00},
    "dynamic_slope": 0.04,
    "anticipation": 0,
    "pretrend": 0.0,
    "conditional_trends": False,
}
HOMO = {**KNOBS, "cohort_effects": {2014: 0.12, 2015: 0.12, 2016: 0.12}, "dynamic_slope": 0.0}
DESIGN = montecarlo.Design(KNOBS, estimators=("twfe", "cs_never", "sun_abraham", "imputation"))


def clock(f):
    t = time.process_time()
    out = f()
    return time.process_time() - t, out


def slow(draws):
    montecarlo.run(DESIGN, draws)
    teaching.run("clustering", montecarlo.Design(HOMO), draws)
    teaching.run("pretest", montecarlo.Design({**HOMO, "pretrend": 0.005}), draws)


def fast(draws):
    twins = montecarlo.draw_twins(DESIGN, draws)
    montecarlo.run_fast(DESIGN, draws, twins)
    teaching.run_fast("decomposition", DESIGN, draws, twins)
    teaching.run_fast("clustering", montecarlo.Design(HOMO), draws)
    teaching.run_fast("pretest", montecarlo.Design({**HOMO, "pretrend": 0.005}), draws)


def main() -> None:
    fast(2)  # imports and the twin design's cache
    R = 20
    t_slow, _ = clock(lambda: slow(R))
    t_fast, _ = clock(lambda: fast(R))
    print(
        f"{R} twins, main MC + clustering + pre-test: per-twin {t_slow:.1f} s, fast {t_fast:.2f} s "
        f"CPU: ratio {t_slow / t_fast:.0f}x"
    )
    for r in (50, 100, 200, 400):
        t, _ = clock(lambda r=r: fast(r))
        print(f"fast path, {r:4d} twins: {t:5.2f} s CPU ({1000 * t / r:.1f} ms per twin)")


if __name__ == "__main__":
    main()
