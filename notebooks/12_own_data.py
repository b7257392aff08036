# %% [markdown]
# (ch-own-data)=
# # Use your own data
#
# Every chapter takes a `data` parameter. With a licensed city panel the whole book
# becomes a replication in the full sense:
#
# ```bash
# replicate check-data mypanel.dta                 # 1. validate and see what was mapped
# replicate book --data mypanel.dta                # 2. every chapter on your panel
# replicate run 05 -p data mypanel.dta             # or one chapter into _build/executed/
# ```
#
# This page does it for real on a stand-in: the synthetic twin written as a Stata file
# with Chinese headers (城市 with Chinese city names, 年份), the way a yearbook extract
# often arrives. The schema and every rule are in `data/README.md`.

# %% tags=["parameters"]
data = "synthetic"  # unused: this page writes its own example files
workdir = "_build/own-data"  # where the example files are written (relative to the repository)

# %%
import json

import pandas as pd
from IPython.display import HTML

from replicate import paths
from replicate.cli import transcript
from replicate.data import cities, synthetic
from replicate.data.schema import VARIABLES

# %% [markdown]
# ## The schema
#
# One row per city and year, 2005–2022. A city can be given as `city_id`, a Chinese or
# English name (`城市`, `city`), or a 6-digit code (`城市代码`); other columns may use the
# aliases listed in `replicate.data.schema.ALIASES`.

# %%
pd.DataFrame(
    [(v.name, v.meaning, "yes" if v.required else "no") for v in VARIABLES.values()],
    columns=["column", "meaning", "required"],
).set_index("column")

# %% [markdown]
# ## A file with Chinese headers

# %%
folder = paths.ROOT / workdir
folder.mkdir(parents=True, exist_ok=True)
names = cities().set_index("city_id")["city_zh"]
twin = synthetic.make_twin().frame
user = (
    twin.assign(城市=twin["city_id"].map(names))
    .drop(columns=["city_id", "did"])
    .rename(columns={"year": "年份"})
)
user = user[["城市", "年份", *[c for c in user.columns if c not in ("城市", "年份")]]]
good = folder / "panel_zh.dta"
user.to_stata(good, write_index=False, version=118)
user.head(3)

# %% [markdown]
# `replicate check-data` maps the headers and the city names, derives `did` from the
# official pilot lists, and says what it did:

# %%
print(transcript("check-data", str(good.relative_to(paths.ROOT))))

# %% [markdown]
# ## What the errors look like
#
# A damaged copy: one city-year entered twice, a percentage typed as text, a city
# outside the sample, and two missing values. Every problem is listed at once, with the
# column, the rows, how many there are and the fix; nothing is dropped silently.

# %%
bad = user.copy()
bad = pd.concat([bad, bad.iloc[[0]]], ignore_index=True)
bad["hum"] = bad["hum"].astype(object)
bad.loc[5, "hum"] = "12.5%"
bad.loc[40, "城市"] = "莱芜市"  # merged into Jinan in 2019: not in the 285-city sample
bad.loc[[100, 101], "nqp"] = float("nan")
broken = folder / "panel_broken.csv"
bad.to_csv(broken, index=False, encoding="gb18030")
print(transcript("check-data", str(broken.relative_to(paths.ROOT))))

# %% [markdown]
# ## Running a chapter on the file
#
# `replicate run` executes one chapter with any parameters into `_build/executed/`; here
# the baseline on the Stata file, with two controls and errors clustered by province:

# %%
print(
    transcript(
        "run",
        "05",
        "-p",
        "data",
        str(good.relative_to(paths.ROOT)),
        "-p",
        "controls",
        "[hum, mar]",
        "-p",
        "cluster",
        "province",
    )
)

# %%
executed = json.loads((paths.EXECUTED_DIR / "05_baseline.ipynb").read_text())
table = next(
    "".join(o["data"]["text/html"])
    for c in executed["cells"]
    for o in c.get("outputs", [])
    if "Table 2. Baseline" in "".join(o.get("data", {}).get("text/html", ""))
)
HTML(table)

# %% [markdown]
# The table is labelled with the file name. The file carries no synthetic label (Stata's
# data label was not set), so nothing marks it synthetic: labels follow the data's own
# metadata, which is why `replicate synth` writes one into every file it creates.
