# %% [markdown]
# (ch-data)=
# # Data and policy: the sample, the pilots, and the panel
#
# The paper uses a balanced panel of 285 cities at prefecture level and above, 2005–2022
# (5,130 city-years), from the China City Statistical Yearbook and municipal statistical
# bulletins {cite}`liu_zou_nqp`. That panel is not public. This chapter separates what can
# be rebuilt from public sources — the city list and the pilot lists — from what cannot,
# and shows the panel the rest of the book runs on.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" for the twin, or a path to your own panel file
reading = "parent"  # sub-city pilot entries treat their parent city ("parent") or not ("ignore")
pilots = None  # None: the Broadband China lists; or a CSV of city, first_year (--pilots)

# %% tags=["hide-input"]
import pandas as pd

from replicate import i18n, paper, replication
from replicate.data import cities, code_pilots, load_panel, pilot_entries, raw
from replicate.data.schema import VARIABLES
from replicate.report import figures, prose, prose_zh, tables
from replicate.report.glue import glue

figures.use_style()
panel = load_panel(data, reading=reading, pilots=pilots)
_frame = panel.frame
i18n.glue(
    "panel_summary",
    panel.summary(),
    f"{i18n.translate_table_text(panel.marker, i18n.table_catalogue())}："
    f"{_frame['city_id'].nunique()} 个城市 × {_frame['year'].nunique()} 年 = "
    f"{len(_frame):,} 行；did 均值 {_frame['did'].mean():.4f}",
)

# %% [markdown]
# ## The 285 cities
#
# The city list is rebuilt from the Ministry of Civil Affairs code tables: the 283
# prefecture-level cities and 4 municipalities of 2005 that kept the same code through
# 2019, less Chaohu (abolished 2011) and Laiwu (merged into Jinan in 2019).
# {glue:text}`city_list_check` `data/README.md` gives every rule and source.

# %% tags=["hide-input"]
by_province = cities().groupby("province_en").size()
single = sorted(by_province.index[by_province == 1])
years = len(raw.SAMPLE_YEARS)
table4 = paper.published(4).set_index(["column", "variable"])["coef"]
lost = int(paper.TABLE1.loc["did", "N"] - table4[(1, "N")])
single_zh = "、".join(prose_zh.province_names_zh(single))
i18n.glue(
    "city_list_check",
    (
        f"The paper itself supports this choice: its Table 4 column (1) loses {lost:,} = "
        f"{len(single)} × {years} observations to province-by-year effects (a province "
        "with one city has no within-province comparison), and with this list exactly "
        f"{len(single)} provinces hold a single sample city ({', '.join(single)})."
    )
    if lost == len(single) * years
    else (
        f"The paper's Table 4 column (1) loses {lost:,} observations to province-by-year "
        f"effects; with this list {len(single)} provinces hold a single sample city "
        f"({', '.join(single)}), which would drop {len(single) * years:,}."
    ),
    (
        f"原文本身也支持这一选择：其表 4 第 (1) 列因省份×年份固定效应损失了 {lost:,} = "
        f"{len(single)} × {years} 个观测值（只有一个城市的省份没有省内比较），而按这份名单，"
        f"恰好有 {len(single)} 个省份只有一个样本城市（{single_zh}）。"
    )
    if lost == len(single) * years
    else (
        f"原文表 4 第 (1) 列因省份×年份固定效应损失了 {lost:,} 个观测值；按这份名单，有 "
        f"{len(single)} 个省份只有一个样本城市（{single_zh}），这将损失 "
        f"{len(single) * years:,} 个观测值。"
    ),
)

# %% tags=["hide-input"]
entries = pilot_entries()
per_batch = entries["batch_year"].value_counts().sort_index()
i18n.glue(
    "entries_per_batch",
    f"{per_batch.iloc[0]} demonstration entries in each of "
    + ", ".join(map(str, per_batch.index[:-1]))
    + f" and {per_batch.index[-1]}"
    if per_batch.nunique() == 1
    else "; ".join(f"{n} demonstration entries in {y}" for y, n in per_batch.items()),
    "、".join(map(str, per_batch.index[:-1]))
    + f" 和 {per_batch.index[-1]} 年各 {per_batch.iloc[0]} 个示范条目"
    if per_batch.nunique() == 1
    else "；".join(f"{y} 年 {n} 个示范条目" for y, n in per_batch.items()),
)

# %% [markdown]
# ## The Broadband China pilot lists
#
# The Ministry of Industry and Information Technology and the National Development and
# Reform Commission named {glue:text}`entries_per_batch`. Most are prefecture-level
# cities; some are a city cluster, county-level cities, districts or autonomous
# prefectures. The tables count the entries by type and by how well their membership is
# evidenced (real data).

# %% tags=["hide-input"]
lists = "Real data: the official pilot lists (data/raw/reference)."
by_type = pd.crosstab(
    entries["entity_type"], entries["batch_year"], margins=True, margins_name="total"
)
tables.show(by_type.rename_axis("entry type"), "Pilot entries by type and batch", notes=lists)

# %% tags=["hide-input"]
by_evidence = pd.crosstab(
    entries["evidence"], entries["batch_year"], margins=True, margins_name="total"
)
tables.show(by_evidence, "Pilot entries by evidence of membership and batch", notes=lists)

# %% [markdown]
# Entries below prefecture level (Kunshan under Suzhou, Yongcheng under Shangqiu, four
# districts of Chongqing) raise a judgement call the paper does not document: does a
# county's pilot make its whole prefecture treated? The two readings give the following
# treated counts and shares, against the paper's mean of `did` of
# {glue:text}`paper_did_mean` in Table 1.

# %% tags=["hide-input"]
readings = replication.pilot_readings()
tables.show(
    readings.drop(columns="paper did mean"),
    "The two readings against Table 1's mean of did",
    decimals=4,
    notes="Real data: the official pilot lists mapped to the 285 sample cities. "
    f"Table 1's mean of did: {paper.TABLE1.loc['did', 'mean']:.3f}.",
)

# %% tags=["hide-input"]
rows = int(paper.TABLE1.loc["did", "N"])
paper_treated = round(paper.TABLE1.loc["did", "mean"] * rows)
closest = (readings["treated city-years"] - paper_treated).abs().idxmin()
glue("paper_did_mean", f"{paper.TABLE1.loc['did', 'mean']:.3f}", display=False)
glue("paper_treated_cityyears", f"{paper_treated:,}", display=False)
i18n.glue("closest", closest, prose_zh.coding_zh(closest, code=True))
gap = int(readings.loc[closest, "treated city-years"] - paper_treated)
i18n.glue(
    "gap_cityyears",
    f"{abs(gap)} {'fewer' if gap > 0 else 'more'}",
    f"{'少' if gap > 0 else '多'} {abs(gap)} 个",
)
i18n.glue(
    "readings_verdict",
    "Neither reading reproduces"
    if not readings["reproduces"].any()
    else "Only the " + " and ".join(readings.index[readings["reproduces"]]) + " reading reproduces",
    "两种解读都无法复现"
    if not readings["reproduces"].any()
    else "只有“" + "”和“".join(readings.index[readings["reproduces"]]) + "”解读能复现",
)
i18n.glue("reading", reading, prose_zh.coding_zh(reading, code=True))

# %% [markdown]
# {glue:text}`readings_verdict` {glue:text}`paper_did_mean`, which corresponds to about
# {glue:text}`paper_treated_cityyears` treated city-years, {glue:text}`gap_cityyears`
# than the closest reading ({glue:text}`closest`) gives. A pilot year coded one year later for part of a
# batch, or a few cities missing from the authors' lists, would close the gap; the paper
# does not say which. The rest of the book uses the **{glue:text}`reading`** reading;
# pass `reading="ignore"` to switch.

# %% tags=["hide-input", "remove-stderr"] mystnb={"figure": {"caption": "Sample cities by province and Broadband China batch (real data: the official pilot lists mapped to the 285 cities).", "name": "fig-pilots-province"}, "image": {"alt": "Sample cities by province and Broadband China batch (real data: the official pilot lists mapped to the 285 cities)."}}
fig = figures.pilots_by_province(code_pilots(reading), cities())

# %% [markdown]
# {numref}`fig-pilots-province` shows where the pilots are: {glue:text}`pilots_by_region`.
# Province-by-year effects
# (Table 4) compare pilot and non-pilot cities only within a province:
# {glue:text}`province_mix`

# %% tags=["hide-input"]
mix = replication.province_pilot_mix(reading)
i18n.glue(
    "province_mix",
    prose.describe_province_pilot_mix(mix),
    prose_zh.describe_province_pilot_mix(mix),
)
sample = cities().assign(pilot=lambda c: c["city_id"].map(code_pilots(reading).first_year) > 0)
by_region = sample.groupby("region")["pilot"].agg(["sum", "size"])
by_region = by_region.sort_values("sum", ascending=False)
i18n.glue(
    "pilots_by_region",
    "pilot cities by region, "
    + ", ".join(f"{r} {int(n)} of {int(m)} sample cities" for r, (n, m) in by_region.iterrows()),
    "按地区分，"
    + "，".join(
        f"{prose_zh.region_zh(r)} {int(m)} 个样本城市中有 {int(n)} 个试点城市"
        for r, (n, m) in by_region.iterrows()
    ),
)

# %% [markdown]
# ## The panel
#
# The panel the rest of the book runs on: {glue:text}`panel_summary`. The variables
# follow the paper's definitions (`data/README.md` has the codebook).

# %% tags=["hide-input"]
codebook = pd.DataFrame(
    [(v.name, v.meaning, v.measurement) for v in VARIABLES.values()],
    columns=["variable", "meaning", "measurement in the paper"],
).set_index("variable")
tables.show(
    codebook,
    "The panel's columns",
    synthetic=False,
    notes="Not data: the codebook of the panel's columns.",
)

# %% [markdown]
# ### Table 1: descriptive statistics
#
# Data: **{glue:text}`panel_label`**. {glue:text}`table1_sentence`

# %% tags=["hide-input"]
table1 = replication.paper_table(1, panel)
tables.show(table1)

# %% tags=["hide-input"]
comparison = replication.compare_table1(panel.frame)
ok = comparison["status"].isin(["within rounding", "within tolerance"])
gov = panel.frame["gov"]
panel_label = tables.data_label(panel)
i18n.glue(
    "panel_label", panel_label, i18n.translate_table_text(panel_label, i18n.table_catalogue())
)
i18n.glue(
    "table1_sentence",
    (
        "The twin is calibrated to the paper's statistics (each control is mapped onto a "
        "distribution with Table 1's mean, standard deviation and range), so agreement with "
        "Table 1 is by design and says nothing about China: "
        if panel.synthetic
        else "Agreement with Table 1 is a first check of your data: "
    )
    + f"{int(ok.sum())} of {len(comparison)} statistics are within rounding or within 5% of "
    "the published standard deviation (the rules of the scorecard chapter).",
    (
        "合成孪生数据是按原文的统计量校准的（每个控制变量都被映射到一个具有表 1 的均值、"
        "标准差和取值范围的分布上），因此它与表 1 一致是设计使然，并不说明中国的任何情况："
        if panel.synthetic
        else "与表 1 一致与否是对你的数据的第一道检验："
    )
    + f"{len(comparison)} 项统计量中有 {int(ok.sum())} 项在舍入误差内，或与原文的差距在所公布"
    "标准差的 5% 以内（记分卡一章的规则）。",
)
t1 = paper.TABLE1
for variable, stat in (
    ("gov", "sd"),
    ("gov", "mean"),
    ("mar", "sd"),
    ("fin", "sd"),
    ("hum", "mean"),
):
    glue(f"t1_{variable}_{stat}", tables.number(t1.loc[variable, stat], 3), display=False)
low, high, mean = (float(t1.loc["gov", k]) for k in ("min", "max", "mean"))
glue("t1_gov_range", f"{tables.number(low, 3)}–{tables.number(high, 3)}", display=False)
largest_sd = ((mean - low) * (high - mean)) ** 0.5  # all mass at the two ends
glue("t1_gov_share", f"{100 * t1.loc['gov', 'sd'] / largest_sd:.0f}%", display=False)
table2 = paper.published(2).set_index(["column", "variable"])["se"]
for variable in ("mar", "fin"):
    glue(f"t2_{variable}_se", tables.number(table2[(7, variable)], 3), display=False)
i18n.glue(
    "gov_twin",
    "This panel reproduces it"
    if gov.std() > gov.mean()
    else "This panel does not (its standard deviation is below its mean)",
    "本面板再现了这一特征"
    if gov.std() > gov.mean()
    else "本面板没有再现这一特征（其标准差低于均值）",
)

# %% [markdown]
# (Each variable's row is ours; the published row is beneath it.)
# Three features of the published Table 1 deserve a note:
#
# - `gov` has a standard deviation ({glue:text}`t1_gov_sd`) larger than its mean
#   ({glue:text}`t1_gov_mean`) on a range of {glue:text}`t1_gov_range`: that is
#   {glue:text}`t1_gov_share` of the largest standard deviation any distribution with
#   this mean and range can have (all its mass at the two ends), so much of the
#   distribution must sit near the ends. {glue:text}`gov_twin`; a real expenditure ratio
#   is unlikely to look like this.
# - `mar` and `fin` have standard deviations of {glue:text}`t1_mar_sd` and
#   {glue:text}`t1_fin_sd`, yet Table 2 (column 7) reports their coefficients with standard
#   errors of {glue:text}`t2_mar_se` and {glue:text}`t2_fin_se`. With clustered errors
#   that small, the within-city variation of these variables must be far larger than
#   Table 1 allows: the regressions used rescaled versions, and the printed constants
#   show which — `mar` and `fin` in percent ({ref}`ch-baseline`). The panel keeps
#   Table 1's units; the regression chapters rescale (their parameter `rescale`).
# - `hum` is described as students per 10,000 people, but its mean of
#   {glue:text}`t1_hum_mean` reads as a share.
