"""Sentences for the chapters, computed from results (never typed in a notebook).

Each ``describe_*`` function turns a result — a scorecard, a mediation estimate, the
calibration record, what the paper's printed numbers imply — into the words a chapter
glues into its prose, picking comparative words ("closer", "further off", "significant")
from the numbers with the thresholds stated in its docstring. They compute no estimate:
the numbers come from :mod:`replicate.replication`, :mod:`replicate.checks` and the
twin's calibration record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from replicate import paper
from replicate.checks import published_indirect_bounds
from replicate.replication import (
    R2_TOLERANCE,
    SE_RATIO,
    TABLE1_SD_SHARE,
    _kind,
    calibration_record,
    mediation_truth,
    specs,
)


def describe_scorecard(card: pd.DataFrame) -> str:
    """One sentence per kind of number, e.g. "coefficients: 18 of 50 within rounding or
    one published s.e.; standard errors: 31 of 50 within 25% ..." (computed, for prose)."""
    kinds = _kind(card)
    words = {
        "coef": ("coefficients", "within rounding or one published s.e."),
        "se": (
            "standard errors",
            f"within rounding or {SE_RATIO[0]:g}–{SE_RATIO[1]:g}× the published one",
        ),
        "N": ("sample sizes", "exact"),
        "R2": ("R²", f"within {R2_TOLERANCE:g}"),
        "table1": (
            "Table 1 statistics",
            f"within {TABLE1_SD_SHARE:.0%} of the published standard deviation",
        ),
    }
    parts = []
    for kind, (name, rule) in words.items():
        sub = card[kinds == kind]
        if len(sub):
            ok = int(sub["status"].isin(["within rounding", "within tolerance"]).sum())
            parts.append(f"{name}: {ok} of {len(sub)} {rule}")
    return "; ".join(parts)


def _signed(z: float) -> str:
    return f"{abs(z):.1f} standard errors {'above' if z > 0 else 'below'}"


def describe_mediation_truth(result, panel) -> str:
    """Prose comparing a mediation result with the twin's truth (computed, for a chapter).

    On a panel without a truth (real data) it says so. On the twin it gives the true
    ``a``, ``b``, ``a·b`` and total effect, how many standard errors each estimate lies
    from its truth, whether the bootstrap interval covers the true ``a·b``, and — from the
    calibration record's many-twin check of Table 2 column 7 — the average bias of the
    total effect over twins (called a bias only when it exceeds two Monte Carlo standard
    errors).
    """
    truth = getattr(panel, "truth", None)
    if truth is None and getattr(panel, "synthetic", False):
        return (
            "This panel is labelled synthetic but carries no record of the truth it was built "
            "with (a twin read back from a file), so there is no truth to compare with."
        )
    if truth is None:
        return "This panel is not the synthetic twin, so there is no truth to compare with."
    a, b, total = mediation_truth(truth)
    beside = result.beside_truth(a, b, total)
    z = beside["(estimate − truth) / s.e."].to_numpy()
    lo, hi = result.boot_ci
    covers = "covers" if lo <= a * b <= hi else "does not cover"
    text = (
        f"The twin was built with a = {a:.3f} and b = {b:.5f}: a true indirect effect of "
        f"{a * b:.4f}, {100 * a * b / total:.1f}% of its true total effect of {total:.3f}. "
        f"The estimate {result.indirect:.4f} lies {_signed(z[2])} it, and the {100 * result.level:.0f}% bootstrap "
        f"interval {covers} it. Both factors are estimated with error — â = {result.a:.3f} "
        f"lies {_signed(z[0])} a, b̂ = {result.b:.5f} lies {_signed(z[1])} b — and their "
        f"product inherits both. The total effect is "
        f"{'further off' if abs(z[4]) > abs(z[2]) else 'closer'}: ĉ = "
        f"{result.total_effect:.3f} lies {_signed(z[4])} the true {total:.3f}."
    )
    record = calibration_record()
    rows = record.get("coverage", [])
    provincial = record.get("parameters", {}).get("nqp.province_pilot_share", 0.0) != 0
    row = next(
        (
            r
            for r in rows
            if r.get("specification") == "Table 2 column 7" and r.get("clustered by") == "city"
        ),
        None,
    )
    if row:
        bias = row["mean estimate"] - row["true ATT"]
        mc_se = row["s.d. of estimates"] / np.sqrt(row["twins"])
        if abs(bias) > 2 * mc_se:
            text += (
                f" That gap is not one draw's noise: over the calibration check's "
                f"{row['twins']} twins the same regression (Table 2 column 7) averages "
                f"{row['mean estimate']:.3f} against a true effect of {row['true ATT']:.3f}, "
                f"a bias of {bias:+.3f} (Monte Carlo s.e. {mc_se:.3f}), and its 95% interval "
                f"covers the truth in {100 * row['covers the true ATT']:.0f}% of the twins."
            )
        if abs(bias) > 2 * mc_se and provincial:
            text += (
                " The twin's provincial shocks move with the provinces' pilot shares (how it "
                "reproduces the drop of Table 4 column 1), and city "
                "and year effects do not absorb them; the total and direct effects inherit "
                "that bias, so on the twin the share mediated is best read against the truth "
                "above."
            )
        if abs(bias) <= 2 * mc_se:
            text += (
                f" Over the calibration check's {row['twins']} twins the same regression "
                f"(Table 2 column 7) averages {row['mean estimate']:.3f} against a true effect "
                f"of {row['true ATT']:.3f}: within two Monte Carlo standard errors, so this "
                "gap is one draw's noise."
            )
    return text


def describe_province_truth(base, with_province_year, panel) -> str:
    """Prose setting Table 2 column 7 and Table 4 column 1 beside the twin's true effect.

    On a panel without a truth (real data) it returns "" (there is nothing to compare
    with). On the twin it names the true ATT, says which estimate lies closer to it, and
    whether the twin was built with provincial shocks that move with the provinces' pilot
    shares (the calibrated ``nqp.province_pilot_share``).
    """
    truth = getattr(panel, "truth", None)
    if truth is None:
        return ""
    att = float(truth.att)
    b, p = float(base.params["did"]), float(with_province_year.params["did"])
    closer = "closer to" if abs(p - att) < abs(b - att) else "no closer to"
    share = calibration_record().get("parameters", {}).get("nqp.province_pilot_share", 0.0)
    built = (
        "The twin was built with provincial shocks that rise with the share of a province's "
        "cities that are pilots"
        if share > 0
        else "The twin's provincial shocks are unrelated to the pilots"
    )
    return (
        f"{built}, and its true effect is {att:.3f}: the estimate with province-by-year "
        f"effects ({p:.3f}) is {closer} it than the baseline ({b:.3f})."
    )


def describe_coverage(panel) -> str:
    """Prose on how TWFE fares over many twins (from the calibration record), for a chapter.

    On a panel that is not the synthetic twin: "" (the record is about the twin). On the
    twin: the mean estimate of Table 2 column 7 and Table 4 column 1 over the check's
    twins against the true effect, and how often each city-clustered 95% interval covers
    it.
    """
    if getattr(panel, "truth", None) is None:
        return ""
    rows = {
        r.get("specification"): r
        for r in calibration_record().get("coverage", [])
        if r.get("clustered by") == "city"
    }
    base, province = rows.get("Table 2 column 7"), rows.get("Table 4 column 1")
    if not base or not province:
        return ""
    return (
        f"On the calibrated twin, over the calibration check's {base['twins']} twins, the "
        f"baseline (Table 2 column 7) averages {base['mean estimate']:.3f} against a true "
        f"effect of {base['true ATT']:.3f}, and its city-clustered 95% interval covers the "
        f"truth in {100 * base['covers the true ATT']:.0f}% of the twins; with province-by-year "
        f"effects (Table 4 column 1) the average is {province['mean estimate']:.3f} and the "
        f"coverage {100 * province['covers the true ATT']:.0f}%."
    )


def describe_calibration_check(card: pd.DataFrame, panel) -> str:
    """Prose setting one twin's scorecard beside the calibration record's many-twin check.

    On a panel that is not the synthetic twin: "" (the check is about the twin). On the
    twin: how many numbers this draw reproduces (within rounding or tolerance), how many
    the median twin of the check reproduces, and for how many the twins' average lands
    within tolerance.
    """
    if not getattr(panel, "synthetic", False):
        return ""
    check = calibration_record().get("check", {})
    ours = int(card["status"].isin(["within rounding", "within tolerance"]).sum())
    if not check:
        return f"This twin reproduces {ours} of {len(card)}."
    return (
        f"This twin reproduces {ours} of {len(card)}; over the calibration check's "
        f"{check['twins']} twins the median twin reproduces {check['median_twin_within']:g}, "
        f"and the twins' average is within tolerance for {check['mean_within']} of "
        f"{check['numbers']}."
    )


def describe_constant_units(units: pd.DataFrame | None = None) -> str:
    """Prose on which units make the printed constants fit ȳ − x̄'b (from
    :func:`replicate.checks.constant_units`), naming the columns of each case."""
    from replicate.checks import constant_units

    units = constant_units() if units is None else units

    def names(mask) -> str:
        return ", ".join(f"Table {t} ({c})" for t, c in units.index[mask]) or "none"

    both = units["fits percent"] & units["fits Table 1 units"]
    only_percent = units["fits percent"] & ~units["fits Table 1 units"]
    neither = ~units["fits percent"] & ~units["fits Table 1 units"]
    text = (
        f"Of the {len(units)} printed constants, {int(both.sum())} fit in either unit "
        f"({names(both)}), {int(only_percent.sum())} only with mar and fin in percent "
        f"({names(only_percent)})"
    )
    with_mar_fin = {
        (t, spec.column)
        for t in (2, 3, 4)
        for spec in specs(t)
        if {"mar", "fin"} & set(spec.regressors)
    } & set(units.index)
    if set(units.index[only_percent]) == with_mar_fin:
        text += " — exactly the columns that include mar or fin"
    text += f", and {int(neither.sum())} in neither."
    if units["fits percent"].all():
        text += (
            " Every printed constant fits percent: the regressions used mar and fin in "
            "percent, although Table 1 describes them as ratios."
        )
    return text


def describe_province_pilot_mix(mix: pd.DataFrame) -> str:
    """One sentence from :func:`province_pilot_mix`: how many provinces hold both pilot and
    non-pilot cities, only pilots (naming them), or no pilot."""
    counts = mix["mix"].value_counts()
    only = sorted(mix.index[mix["mix"] == "only pilots"])
    none = sorted(mix.index[mix["mix"] == "no pilot"])
    text = f"of the {len(mix)} provinces, {int(counts.get('both', 0))} hold both pilot and non-pilot cities"
    text += (
        f", {len(only)} only pilot cities ({', '.join(only)}), whose pilots have no "
        "comparison within their province"
        if only
        else ", none only pilot cities"
    )
    text += (
        f", and {len(none)} no pilot ({', '.join(none)})."
        if none
        else ", and every province has at least one pilot city."
    )
    return text[0].upper() + text[1:]


def describe_published_indirect() -> str:
    """Prose on what Table 3's printed cells allow for the indirect effect (from
    :func:`replicate.checks.published_indirect_bounds`): its largest share of the total
    effect of ``did`` with the same controls (Table 2 column 7), the precision of ``a``,
    the range of the Sobel p-value and the verdict at 5%."""
    bounds = published_indirect_bounds()
    cells = paper.published(3).set_index(["column", "variable"])
    a = cells.loc[(1, "did")]
    total = paper.published(2).set_index(["column", "variable"]).loc[(7, "did"), "coef"]
    share = 100 * bounds.loc["indirect effect a·b", "maximum"] / total
    p_low, p_high = bounds.loc["Sobel p-value", ["minimum", "maximum"]]
    verdict = (
        "is not significant at 5%"
        if p_low > 0.05
        else "may or may not be significant at 5%"
        if p_high > 0.05
        else "is significant at 5%"
    )
    return (
        f"Even at its largest the indirect effect is {share:.1f}% of the total effect of did "
        f"with the same controls (Table 2 column 7: {total:.3f}). Because a is estimated "
        f"precisely (t ≈ {a['coef'] / a['se']:.1f}), the Sobel statistic is close to the t of "
        f"b, and its p-value lies between {p_low:.3f} and {p_high:.3f}: whatever the "
        f"unrounded numbers were, the indirect effect {verdict}."
    )


def describe_face_value_indirect(bounds: pd.DataFrame | None = None) -> str:
    """Prose setting the face-value product of Table 3's printed a and b beside the range
    the printed cells allow (:func:`replicate.checks.published_indirect_bounds`).

    The word is "above", "below" or "inside" that range, from the numbers: with b printed
    as 0.001 (0.000) and one star, the product of the printed cells can lie above every
    value the cells allow, because a b that rounds to 0.001 with |t| < 1.97 and an s.e.
    below 0.0005 is below 0.001."""
    bounds = published_indirect_bounds() if bounds is None else bounds
    cells = paper.published(3).set_index(["column", "variable"])
    a, b = cells.loc[(1, "did"), "coef"], cells.loc[(2, "innovp"), "coef"]
    lo, hi = bounds.loc["indirect effect a·b", ["minimum", "maximum"]]
    product = a * b
    if product > hi:
        where = (
            f"above the largest value the printed cells allow ({hi:.4f}): a b that rounds "
            f"to {b:.3f} with one star and a printed s.e. of {cells.loc[(2, 'innovp'), 'se']:.3f} "
            f"is smaller than {b:.3f}"
        )
    elif product < lo:
        where = f"below the smallest value the printed cells allow ({lo:.4f})"
    else:
        where = f"inside the range the printed cells allow ({lo:.4f} to {hi:.4f})"
    return (
        f"Taken at face value, the printed cells give a·b = {a:.3f} × {b:.3f} = {product:.4f}, "
        f"{where}."
    )


def describe_change(before: float, after: float, what: str = "the estimate") -> str:
    """``"falls by 30% (from 0.129 to 0.090)"``-style words for a change, the verb chosen
    from the numbers: "halves" only within 45–55% down, "roughly doubles" within 90–110%
    up, else "falls"/"rises" by the rounded percentage ("barely moves" below 1%)."""
    if not (np.isfinite(before) and np.isfinite(after)) or before == 0:
        return f"{what} goes from {before:.3f} to {after:.3f}"
    pct = 100 * (after / before - 1)
    span = f"(from {before:.3f} to {after:.3f})"
    if abs(pct) < 1:
        return f"{what} barely moves {span}"
    if -55 <= pct <= -45:
        return f"{what} halves, falling by {-pct:.0f}% {span}"
    if 90 <= pct <= 110:
        return f"{what} roughly doubles, rising by {pct:.0f}% {span}"
    verb = "falls" if pct < 0 else "rises"
    return f"{what} {verb} by {abs(pct):.0f}% {span}"


def describe_cluster_width(cover: pd.DataFrame, specification: str = "Table 2 column 7") -> str:
    """Prose comparing, over many twins, the mean clustered s.e. with the spread (s.d.) of
    the estimates, for one specification clustered by city and by province (from
    :func:`replicate.calibrate.coverage`).

    An s.e. within 10% of the s.d. is "about as large as", below that "smaller than"
    (intervals too narrow), above "larger than"; the sentence adds how often each interval
    covers the estimator's own mean, which separates width from bias."""
    rows = cover[cover["specification"] == specification].set_index("clustered by")
    parts, words = [], []
    for cluster, row in rows.iterrows():
        se, sd = float(row["mean s.e."]), float(row["s.d. of estimates"])
        ratio = se / sd if sd > 0 else np.inf
        word = (
            "about as large as"
            if abs(ratio - 1) <= 0.10
            else "smaller than"
            if ratio < 1
            else "larger than"
        )
        words.append(word)
        own = float(row["covers the estimator's mean"])
        parts.append(
            f"clustered by {cluster} ({int(row['clusters'])} clusters), the mean s.e. "
            f"({se:.3f}) is {word} the spread of the estimates across twins ({sd:.3f}) and "
            f"the interval covers the estimator's own mean in "
            f"{own:.1%} of twins"
        )
    narrow = [c for c, w in zip(rows.index, words, strict=True) if w == "smaller than"]
    verdict = (
        f"so the intervals clustered by {' and by '.join(narrow)} are too narrow"
        if narrow
        else "so neither interval is too narrow: what goes wrong is bias, not width"
    )
    return f"For {specification}: " + "; ".join(parts) + f", {verdict}."


def describe_same_sample(base, base_same, with_province_year) -> str:
    """Prose separating the two things Table 4 column (1) changes at once: the sample (the
    singleton city-years province-by-year effects drop) and the fixed effects.

    ``base`` is the baseline on the full sample, ``base_same`` the baseline on column (1)'s
    sample, ``with_province_year`` column (1); the words come from
    :func:`describe_change`."""
    b, s, p = (float(r.params["did"]) for r in (base, base_same, with_province_year))
    dropped = int(base.nobs) - int(base_same.nobs)
    return (
        f"On column (1)'s own {int(base_same.nobs):,} city-years (the {dropped:,} it drops "
        f"left out of both), adding province-by-year effects: {describe_change(s, p)}. "
        f"The change of sample alone: {describe_change(b, s, 'the baseline')}."
    )


def describe_hc1_beside_cluster(clustered, hc1, published_se: float | None = None) -> str:
    """Prose setting the two readings of the paper's "robust standard errors" side by side:
    clustered by city (what Stata's ``xtreg, fe vce(robust)`` does) and HC1 (what
    ``reghdfe, vce(robust)`` does), for ``did``.

    The comparative word ("smaller than", "larger than", "about the same as": within 5%)
    and, with ``published_se``, which reading lies closer to the printed s.e., come from
    the numbers."""
    c, h = float(clustered.std_errors["did"]), float(hc1.std_errors["did"])
    ratio = round(h / c, 2)  # the word follows the printed ratio
    word = (
        "about the same as"
        if abs(ratio - 1) <= 0.05
        else "smaller than"
        if ratio < 1
        else "larger than"
    )
    text = (
        f"Read as HC1, the s.e. of did is {h:.4f}, {word} the city-clustered {c:.4f} "
        f"(ratio {ratio:.2f})."
    )
    if published_se is not None and np.isfinite(published_se):
        gap_c, gap_h = abs(c - published_se), abs(h - published_se)
        closer = (
            "the clustered reading"
            if gap_c < gap_h
            else "the HC1 reading"
            if gap_h < gap_c
            else "both readings equally"
        )
        text += (
            f" The paper prints {published_se:.3f}; on these data {closer} lies closer to it, "
            "a hint about the paper's command, not proof."
        )
    return text
