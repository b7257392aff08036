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

# %%
import pandas as pd

from replicate import paper, replication
from replicate.data import cities, code_pilots, load_panel, pilot_entries
from replicate.report import figures, tables

figures.use_style()
panel = load_panel(data, reading=reading)
print(panel.summary())

# %% [markdown]
# ## The 285 cities
#
# The city list is rebuilt from the Ministry of Civil Affairs code tables: the 283
# prefecture-level cities and 4 municipalities of 2005 that kept the same code through
# 2019, less Chaohu (abolished 2011) and Laiwu (merged into Jinan in 2019). The paper
# itself supports this choice: its Table 4 column (1) loses 108 = 6 × 18 observations to
# province-by-year effects, and with this list exactly six provinces hold a single
# sample city. `data/README.md` gives every rule and source.

# %%
by_province = cities().groupby("province_en").size().rename("sample cities")
by_province[by_province == 1]

# %% [markdown]
# ## The Broadband China pilot lists
#
# The Ministry of Industry and Information Technology and the National Development and
# Reform Commission named 39 demonstration entries in each of 2014, 2015 and 2016. Most
# are prefecture-level cities; some are a city cluster, county-level cities, districts or
# autonomous prefectures. The table counts the entries by type and by how well their
# membership is evidenced (real data).

# %%
entries = pilot_entries()
pd.crosstab(entries["entity_type"], entries["batch_year"], margins=True, margins_name="total")

# %%
pd.crosstab(entries["evidence"], entries["batch_year"], margins=True, margins_name="total")

# %% [markdown]
# Entries below prefecture level (Kunshan under Suzhou, Yongcheng under Shangqiu, four
# districts of Chongqing) raise a judgement call the paper does not document: does a
# county's pilot make its whole prefecture treated? The two readings give the following
# treated counts and shares, against the paper's mean of `did` of 0.167 in Table 1.

# %%
readings = pd.concat([code_pilots(r).summary() for r in ("parent", "ignore")], ignore_index=True)
readings["paper did mean"] = paper.TABLE1.loc["did", "mean"]
readings["difference"] = (readings["did mean"] - readings["paper did mean"]).round(4)
readings.set_index("reading")

# %%
from myst_nb import glue

glue("paper_treated_cityyears", round(paper.TABLE1.loc["did", "mean"] * 5130), display=False)
glue(
    "gap_cityyears",
    round((code_pilots("ignore").treated_share() - paper.TABLE1.loc["did", "mean"]) * 5130),
    display=False,
)
glue("reading", reading, display=False)

# %% [markdown]
# Neither reading reproduces 0.167: it corresponds to about
# {glue:text}`paper_treated_cityyears` treated city-years, some {glue:text}`gap_cityyears`
# fewer than the "ignore" reading gives. A pilot year coded one year later for part of a
# batch, or a few cities missing from the authors' lists, would close the gap; the paper
# does not say which. The rest of the book uses the **{glue:text}`reading`** reading;
# pass `reading="ignore"` to switch.

# %% mystnb={"figure": {"caption": "Sample cities by province and Broadband China batch (real data: the official pilot lists mapped to the 285 cities).", "name": "fig-pilots-province"}, "image": {"alt": "Sample cities by province and Broadband China batch (real data: the official pilot lists mapped to the 285 cities)."}}
fig = figures.pilots_by_province(code_pilots(reading), cities())

# %% [markdown]
# {numref}`fig-pilots-province` shows that the pilots are spread across the country,
# with more in the large eastern and central provinces; a few provinces have no pilot
# city at all, so province-by-year effects (Table 4) compare pilot and non-pilot cities
# only within provinces that have both.
#
# ## The panel
#
# The variables follow the paper's definitions (`data/README.md` has the codebook).

# %%
from replicate.data.schema import VARIABLES

pd.DataFrame(
    [(v.name, v.meaning, v.measurement) for v in VARIABLES.values()],
    columns=["variable", "meaning", "measurement in the paper"],
).set_index("variable")

# %% [markdown]
# ```{admonition} This chapter's panel
# :class: warning
# Unless you passed your own file, the panel below is the **synthetic twin** (see
# {ref}`ch-twin`): it is calibrated to Table 1, so agreement with the paper's descriptive
# statistics is by construction and says nothing about China.
# ```
#
# ### Table 1: descriptive statistics

# %%
tables.show(replication.paper_table(1, panel))

# %% [markdown]
# (Each variable's row is ours; the published row is beneath it.)
# Three features of the published Table 1 deserve a note:
#
# - `gov` has a standard deviation (0.211) larger than its mean (0.206) on a range of
#   0.043–0.604: only a strongly two-humped distribution can do that. The twin
#   reproduces it, but a real expenditure ratio is unlikely to look like this.
# - `mar` and `fin` have standard deviations of 0.246 and 0.012, yet Table 2 reports
#   their coefficients with standard errors of 0.004 and 0.014. With clustered errors
#   that small, the within-city variation of these variables must be far larger than
#   Table 1 allows, so the regressions probably used rescaled versions
#   (e.g. the marketization index on its 0–12 scale). We follow Table 1.
# - `hum` is described as students per 10,000 people, but its mean of 0.122 reads as a
#   share.
