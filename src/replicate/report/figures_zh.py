"""The Chinese edition's figures: the same figure object, drawn a second time with its text
in Chinese and a CJK font.

When a notebook shows a figure, :func:`register` (called by :func:`figures.use_style` in a
notebook) adds a second PNG to the output under the mime type :data:`ZH_MIME`, drawn from
the *same* Figure by :func:`chinese_png`: every title, axis label, legend entry, note and
categorical tick label is translated (``locales/zh_CN/figures.po``, the table catalogue
and the data-label rules of :func:`replicate.i18n.translate_table_text`), fonts become
DejaVu Sans with the first installed CJK font as per-glyph fallback
(:func:`figures.chinese_style`), the PNG is drawn, and every text and font is put back, so
the English PNG and PDF are unchanged. The English build ignores the extra mime type; the
Chinese build shows it in place of ``image/png`` (``book/_ext/zh_glue.py``). Numbers,
data and axes are the English figure's own: only words change.

Written by hand (matplotlib and IPython have no figure translation); built on matplotlib's
text artists and IPython's display formatters.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import re
import warnings
from functools import lru_cache

from replicate import i18n

ZH_MIME = "application/vnd.replicate.zh+png"
FIGURE_CATALOGUE = i18n.LOCALE_DIR / i18n.LANGUAGE / "figures.po"

FIGURE_RULES = [
    (r"^(\d{4}) batch \((\d+) cities\)$", r"\1 年批次（\2 个城市）"),
    (r"^(\d{4}) batch$", r"\1 年批次"),
    (r"^(\d{4}): no report in the corpus$", r"\1 年：语料中没有该年的报告"),
    (r"^truth ([-−\d.]+)$", r"真实值 \1"),
    (r"^seed (\d+): ([-−\d.]+)$", r"种子 \1：\2"),
    (r"^true effect \(([-−\d.]+)\)$", r"真实效应（\1）"),
    (r"^true effect ([-−\d.]+)$", r"真实效应 \1"),
    (r"^true value ([-−\d.]+)$", r"真实值 \1"),
    (r"^estimate ([-−\d.]+)$", r"估计值 \1"),
    (r"^TWFE = Σ weight × estimate = ([-−\d.]+)$", r"TWFE = Σ 权重 × 估计值 = \1"),
    (r"^published numbers within tolerance \(of (\d+)\)$", r"容差范围内的公布数值（共 \1 个）"),
    (
        r"^Broadband China pilots among the (\d+) sample cities \('(.+)' reading\)$",
        r"\1 个样本城市中的宽带中国试点（“\2”口径）",
    ),
    # labels composed with a variable's name (an outcome, a treatment): the whole label is
    # translated, the name (a named group) carried over verbatim
    (r"^placebo estimate of the effect on (?P<name>\S+)$", r"对 \1 效应的安慰剂估计值"),
    (r"^2×2 DID estimate on (?P<name>\S+)$", r"\1 的 2×2 双重差分估计值"),
    (r"^effect of the pilot on (?P<name>\S+)$", r"试点对 \1 的效应"),
    (r"^effect on (?P<name>\S+)$", r"对 \1 的效应"),
    (r"^TWFE estimate of (?P<name>\S+)$", r"\1 的 TWFE 估计值"),
    # iplot's event-time axis on any panel: the time column's name carried over
    (
        r"^(?P<name>\S+) relative to the first treated \S+ \(reference: (?P<ref>[^;]+)\)$",
        r"距首次处理的期数（\1；基期：\2）",
    ),
    (
        r"^(?P<name>\S+) relative to the first treated \S+ \(no reference period\)$",
        r"距首次处理的期数（\1；无基期）",
    ),
    (r"^periods relative to treatment \(reference: (?P<ref>[^;]+)\)$", r"距处理的期数（基期：\1）"),
    (r"^periods relative to treatment \(no reference period\)$", r"距处理的期数（无基期）"),
    (r"^effect$", r"效应"),
    # the specification curve's indicator rows, "dimension: choice"
    (
        r"^(estimator|controls|number of controls|fixed effects|pilot coding|years|clusters): "
        r"(.+)$",
        r"\1：\2",
    ),
    (r"^([\d,]+) specifications, sorted by estimate$", r"\1 个设定，按估计值排序"),
    (r"^(.+), pointwise 95% CI$", r"\1，逐点 95% 置信区间"),
    (r"^Data: (.+)$", r"数据：\1"),
]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """Figure strings, then table strings (a figure's axis may name a table's column), and
    the provinces' Chinese names from the reference city list (a figure's categories)."""
    return {
        **province_names(),
        **i18n.table_catalogue(),
        **i18n.table_catalogue(FIGURE_CATALOGUE),
    }


@lru_cache(maxsize=1)
def province_names() -> dict[str, str]:
    """English province name → Chinese, read from ``data/raw/reference/cities.csv``."""
    from replicate.data.raw import cities

    frame = cities()[["province_en", "province_zh"]].drop_duplicates()
    return dict(zip(frame["province_en"], frame["province_zh"], strict=True))


def translate(text: str, strings: dict[str, str] | None = None) -> str:
    """One figure text in Chinese; unknown words stay English, numbers are carried over."""
    strings = catalogue() if strings is None else strings
    if not text.strip() or text.strip() in strings:
        return strings.get(text.strip(), text)
    for pattern, replacement in FIGURE_RULES:
        match = re.search(pattern, text)
        if match:
            # captured words are translated too (the label inside "…, pointwise 95% CI"),
            # numbers and named groups (a variable's name) are carried over
            names = set(match.re.groupindex.values())
            groups = [
                g if i in names or re.fullmatch(r"[-−\d.,]*", g) else translate(g, strings)
                for i, g in enumerate(match.groups(), start=1)
            ]
            return re.sub(r"\\(\d)", lambda k, g=groups: g[int(k.group(1)) - 1], replacement)
    return i18n.translate_table_text(text, strings, prose=True)


def chinese_png(fig, style, strings: dict[str, str] | None = None) -> bytes | None:
    """The figure drawn as PNG with Chinese text, or None if no CJK font is installed.

    ``style`` is :func:`figures.chinese_style` (passed in, so this module never imports
    ``figures``, which registers it). The figure is left exactly as it was (texts, fonts,
    tick formatters restored)."""
    import matplotlib.pyplot as plt
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter

    try:
        family = style()["font.family"]
    except RuntimeError:  # no CJK font: the Chinese page shows the English figure
        return None
    texts, formatters, categories, labelled = [], [], [], []
    try:
        for artist in fig.findobj(Text):
            texts.append((artist, artist.get_text(), artist.get_fontfamily()))
            artist.set_text(translate(artist.get_text(), strings))
            artist.set_fontfamily(family)
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                formatter = axis.get_major_formatter()
                if isinstance(formatter, FixedFormatter):
                    formatters.append((formatter, list(formatter.seq)))
                    formatter.seq = [translate(str(s), strings) for s in formatter.seq]
                elif _labels_of(formatter) is not None:  # set_ticks(…, labels) (matplotlib ≥ 3.9)
                    func = formatter.func
                    labelled.append((formatter, func))
                    tickd = {
                        k: translate(str(v), strings) for k, v in _labels_of(formatter).items()
                    }
                    formatter.func = functools.partial(func.func, tickd, *func.args[1:])
                elif isinstance(formatter, StrCategoryFormatter):  # bars named by strings
                    units = formatter._units
                    categories.append((formatter, units))
                    formatter._units = {translate(str(k), strings): v for k, v in units.items()}
        buffer = io.BytesIO()
        # WenQuanYi Zen Hei has one weight: matplotlib logs "Failed to find font weight
        # normal …, now using 500" on every text; that is the font we want, so keep it quiet
        font_log = logging.getLogger("matplotlib.font_manager")
        level = font_log.level
        font_log.setLevel(logging.ERROR)
        try:
            with (
                plt.rc_context({"font.family": family}),
                warnings.catch_warnings(record=True) as seen,
            ):
                warnings.simplefilter("always")
                fig.savefig(buffer, format="png", bbox_inches="tight")
        finally:
            font_log.setLevel(level)
        missing = sorted({str(w.message) for w in seen if "missing from" in str(w.message)})
        if missing:  # tofu: fail where it happens, not on the page
            raise RuntimeError(f"the Chinese figure lacks glyphs: {'; '.join(missing)}")
        return buffer.getvalue()
    finally:
        for artist, text, fonts in texts:
            artist.set_text(text)
            artist.set_fontfamily(fonts)
        for formatter, seq in formatters:
            formatter.seq = seq
        for formatter, units in categories:
            formatter._units = units
        for formatter, func in labelled:
            formatter.func = func


def _labels_of(formatter) -> dict | None:
    """The {tick: label} of a formatter made by ``set_ticks(ticks, labels)``, else None
    (matplotlib wraps the dict in a ``FuncFormatter`` of ``functools.partial``)."""
    from matplotlib.ticker import FuncFormatter

    func = getattr(formatter, "func", None)
    if (
        isinstance(formatter, FuncFormatter)
        and isinstance(func, functools.partial)
        and func.args
        and isinstance(func.args[0], dict)
    ):
        return func.args[0]
    return None


def register(shell, style) -> None:
    """Show every matplotlib Figure in ``shell`` with a Chinese PNG beside the English one
    (mime type :data:`ZH_MIME`, base64 like ``image/png``); ``style`` as in
    :func:`chinese_png`."""
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from traitlets import ObjectName, Unicode

    class ChinesePNGFormatter(BaseFormatter):
        format_type = Unicode(ZH_MIME)
        print_method = ObjectName("_repr_png_zh_")
        _return_type = (str,)

    formatters = shell.display_formatter.formatters
    if ZH_MIME in formatters:
        return
    formatter = ChinesePNGFormatter(parent=shell.display_formatter)

    def encoded(fig):
        png = chinese_png(fig, style)
        return None if png is None else base64.b64encode(png).decode("ascii")

    formatter.for_type(Figure, encoded)
    formatters[ZH_MIME] = formatter
