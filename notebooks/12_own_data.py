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
# replicate run 05 --data mypanel.dta              # or one chapter into _build/executed/
# ```
#
# Every command that reads a panel — `check-data`, `table`, `scorecard`, `run` and
# `book --data` — uses the same loader, the same checks and the same flags:
#
# | flag | meaning |
# | --- | --- |
# | `--missing error\|drop\|keep` | missing values in required columns: an error listing them (default), drop those rows, or keep them |
# | `--allow-unbalanced` | accept a panel where some city-years are absent |
# | `--sheet NAME` | the Excel sheet holding the data (default: the first sheet with a year column) |
# | `--reading parent\|ignore\|none` | `check-data`, `table`, `scorecard`: the pilot coding `did` is checked against (`-p reading` for `run`) |
# | `--pilots FILE` | another pilot policy on the paper's cities: a CSV of city and first year replaces the Broadband China timing ([below](own-pilots)) |
# | `--columns ROLES` | any other staggered panel, named by its roles ([below](own-columns)) |
# | `--debug` | show the Python traceback of an error, for a bug report |
#
# `run` and `book` check the file before any notebook starts, so a mistake costs seconds,
# not a failed build. No command writes over an existing file without `--force`, or over
# one of its own inputs even then.
#
# This page does it for real on stand-ins: the synthetic twin written as a Stata file
# with Chinese headers (城市 with Chinese city names, 年份), the way a yearbook extract
# often arrives, then as a messier CSV export. The schema and every rule are in
# `data/README.md`.

# %% tags=["parameters"]
data = "synthetic"  # unused: this page writes its own example files
workdir = "_build/own-data"  # where the example files are written (relative to the repository)

# %% tags=["hide-input"]
import json

import moderndid
import pandas as pd
from IPython.display import HTML, Markdown, display

from replicate import book, i18n, paths
from replicate.cli import transcript
from replicate.data import cities, io, load_panel, read_pilots, read_staggered, synthetic
from replicate.data.schema import VARIABLES
from replicate.report import prose_zh, tables
from replicate.report.glue import glue

# %% [markdown]
# ## The schema
#
# One row per city and year, 2005–2022. A city can be given as `city_id`, a Chinese or
# English name (`城市`, `city`), or a 6-digit code (`城市代码`); other columns may use the
# aliases listed in `replicate.data.schema.ALIASES`.

# %% tags=["hide-input"]
schema = pd.DataFrame(
    [(v.name, v.meaning, "yes" if v.required else "no") for v in VARIABLES.values()],
    columns=["column", "meaning", "required"],
).set_index("column")
display(schema, Markdown("*Not data: the columns a panel file may hold.*"))

# %% [markdown]
# ## A file with Chinese headers

# %% tags=["hide-input"]
folder = paths.ROOT / workdir
folder.mkdir(parents=True, exist_ok=True)
names = cities().set_index("city_id")["city_zh"]
twin = synthetic.make_twin()
user = (
    twin.frame.assign(城市=twin.frame["city_id"].map(names))
    .drop(columns=["city_id", "did"])
    .rename(columns={"year": "年份"})
)
user = user[["城市", "年份", *[c for c in user.columns if c not in ("城市", "年份")]]]
# written with the twin's label inside the file, as `replicate synth` writes it
label = {**twin.metadata, "synthetic": True, "label": twin.label}
good = io.write_panel(user, folder / "panel_zh.dta", label, force=True)
shown = user.columns[:9]  # the whole width does not fit a page
tables.show(
    tables.labelled(user[shown].head(3).astype({"年份": str}), twin.panel()),
    f"The first rows of panel_zh.dta ({len(shown)} of its {user.shape[1]} columns)",
)

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

# %% tags=["hide-input"]
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
# ## A yearbook export as it arrives
#
# Statistical yearbook tables rarely come as a clean grid. This copy has a title row
# above the header, a line of units under it, years in full-width digits, thousands
# separators in the patent counts, and dashes where a value is not available:

# %% tags=["hide-input"]
messy = user.copy()
messy["年份"] = messy["年份"].map(
    lambda y: str(y).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
)
messy["innovp"] = (messy["innovp"] * 1000).map(lambda v: f"{v:,.1f}")
messy["fdi"] = messy["fdi"].astype(object)
messy.loc[[3, 4], "fdi"] = ["—", "－"]
header, body = messy.to_csv(index=False).split("\n", 1)
title = "2005—2022年 城市统计年鉴 摘录" + "," * (messy.shape[1] - 1)
units = ",".join(["", "(年)"] + ["(单位)"] * (messy.shape[1] - 2))
yearbook = folder / "yearbook.csv"
yearbook.write_text("\n".join([title, header, units, body]), encoding="utf-8")
print("\n".join(yearbook.read_text(encoding="utf-8").splitlines()[:4]))

# %% [markdown]
# The loader reads it the way it is meant and says what it did; the two dashes are
# missing values, so by default the check stops and names them with the flags that
# decide what happens to them:

# %% tags=["hide-input"]
print(transcript("check-data", str(yearbook.relative_to(paths.ROOT))))

# %% tags=["hide-input"]
print(
    transcript(
        "check-data",
        str(yearbook.relative_to(paths.ROOT)),
        "--missing",
        "drop",
        "--allow-unbalanced",
    )
)

# %% [markdown]
# ## Synthetic, or of unverified origin
#
# A file written by `replicate synth` carries its label inside it (Parquet and Stata
# metadata, an Excel sheet `_replicate_meta`) or, for CSV, in a sidecar
# `NAME.csv.meta.json` bound to the file by its SHA-256. A copy without the sidecar, or a
# different panel saved under the twin's name, is not called synthetic — nor real: its
# origin is *unverified*, and every table made from it says so.

# %% tags=["hide-input"]
twin_csv = folder / "twin.csv"
for stale in (twin_csv, twin_csv.with_name("twin.csv.meta.json")):
    stale.unlink(missing_ok=True)
print(transcript("synth", "--seed", "1", "--out", str(twin_csv.relative_to(paths.ROOT))))
print(transcript("check-data", str(twin_csv.relative_to(paths.ROOT))))
twin_csv.write_text(
    twin_csv.read_text(encoding="utf-8").replace(",0.", ",0.0", 1), encoding="utf-8"
)
print(transcript("check-data", str(twin_csv.relative_to(paths.ROOT))))

# %% [markdown]
# And nothing is lost by a slip of the keyboard: `synth` (like `index`) keeps a file that
# exists unless told `--force`.

# %% tags=["hide-input"]
print(transcript("synth", "--seed", "2", "--out", str(twin_csv.relative_to(paths.ROOT))))

# %% [markdown]
# ## Running a chapter on the file
#
# `replicate run` executes one chapter with any parameters into `_build/executed/`; here
# the baseline on the Stata file, with two controls and errors clustered by province.
# Values are read as the type the chapter declares: `"hum, mar"` is a list of two names.

# %% tags=["hide-input"]
print(
    transcript(
        "run",
        "05",
        "-p",
        "data",
        str(good.relative_to(paths.ROOT)),
        "-p",
        "controls",
        "hum, mar",
        "-p",
        "cluster",
        "province",
    )
)

# %% tags=["hide-input"]
executed = json.loads((paths.EXECUTED_DIR / "05_baseline.ipynb").read_text())
table = next(
    "".join(o["data"]["text/html"])
    for c in executed["cells"]
    for o in c.get("outputs", [])
    if "Table 2. Baseline" in "".join(o.get("data", {}).get("text/html", ""))
)
HTML(table)

# %% [markdown]
# The table carries the file's label, read from the file itself: the Stata file was
# written above with the twin's label inside it, so the chapter run on it says SYNTHETIC
# in its caption and notes without anyone passing a flag. (A file written without a
# label would say "origin unverified", as the section above shows.) Our columns (2) and
# (3) add `hum` and `mar`, while the paper's add `fdi` first, so only column (1) — `did`
# alone, the same specification in both — is set beside a published number; the notes
# name the published columns left uncompared.
#
# A parameter name the chapter does not declare is an error naming the ones it does,
# before any cell runs:

# %%
print(transcript("run", "05", "-p", "control", "hum"))

# %% [markdown]
# (own-pilots)=
# ## Another pilot policy on the same cities
#
# Many readers have the same 285-city panel and *another* staggered policy: smart cities,
# low-carbon cities, innovative cities, free-trade zones. `--pilots FILE` replaces the
# Broadband China timing in every command and in the chapters that declare a `pilots`
# parameter ({glue:text}`pilots_chapters`; `book --pilots` skips the others with one line
# each). The file is a CSV with one row per city — a Chinese or English name, `city_id`
# or a 6-digit code — and its first year, optionally an `evidence` level; the layout of
# the project's Broadband China list is read too (`data/examples/README.md`).
#
# The list below, `data/examples/made_up_pilots.csv`, is **made up** for this page: not a
# real policy, and nothing estimated with it is evidence about anything.

# %% tags=["hide-input"]
example = paths.ROOT / "data" / "examples" / "made_up_pilots.csv"
taking_pilots, _ = book.taking(book.book_notebooks(), ["pilots"])
pilots_chapters = [s.stem.split("_")[0] for s in taking_pilots]
i18n.glue("pilots_chapters", ", ".join(pilots_chapters), "、".join(pilots_chapters))
shown_example = example.relative_to(paths.ROOT)
made_up = pd.read_csv(example)
display(
    tables.show(
        made_up.set_index("city"),
        f"{shown_example}: a MADE-UP pilot list ({len(made_up)} cities)",
        notes="MADE UP for this page: a list of cities and years, not data about any real policy.",
    )
)
broadband = load_panel("synthetic")
other = load_panel("synthetic", pilots=example)
coding = read_pilots(example)

before = int(broadband.frame.groupby("city_id")["treat"].first().sum())
after = int(other.frame.groupby("city_id")["treat"].first().sum())
share_before, share_after = broadband.frame["did"].mean(), other.frame["did"].mean()
glue("pilots_before", f"{before}", display=False)
glue("pilots_after", f"{after}", display=False)
glue("pilots_share_before", f"{share_before:.3f}", display=False)
glue("pilots_share_after", f"{share_after:.3f}", display=False)
i18n.glue(
    "pilots_share_verb",
    "falls" if share_after < share_before else "rises" if share_after > share_before else "stays",
    "下降" if share_after < share_before else "上升" if share_after > share_before else "不变",
)
i18n.glue(
    "pilots_batches",
    ", ".join(f"{n} in {y}" for y, n in coding.counts_by_batch().items()),
    prose_zh.entries_per_batch(coding.counts_by_batch()),
)

# %% [markdown]
# On the twin the timing changes as the file says: {glue:text}`pilots_after` treated
# cities ({glue:text}`pilots_batches`) instead of the Broadband China lists'
# {glue:text}`pilots_before`, and the share of treated city-years `did`
# {glue:text}`pilots_share_verb` from {glue:text}`pilots_share_before` to
# {glue:text}`pilots_share_after`. The twin's true effects were drawn for the Broadband
# China timing, so with another list it has no truth to compare with; every table names
# the file and its treated cities. The same from the command line:

# %% tags=["hide-input"]
print(transcript("check-data", str(good.relative_to(paths.ROOT)), "--pilots", str(shown_example)))

# %% [markdown]
# and any table or chapter takes it the same way:
#
# ```bash
# replicate table 2 --pilots data/examples/made_up_pilots.csv
# replicate run 05 --pilots data/examples/made_up_pilots.csv
# replicate book --pilots data/examples/made_up_pilots.csv
# ```
#
# A pilot file with a misspelt city, a city listed twice and a year after the panel:

# %% tags=["hide-input"]
bad_pilots = folder / "pilots_broken.csv"
bad_pilots.write_text(
    "city,first_year\nHegnag,2012\nNingbo,2012\n宁波市,2015\nWeifang,2030\n", encoding="utf-8"
)
print(
    transcript(
        "check-data",
        str(good.relative_to(paths.ROOT)),
        "--pilots",
        str(bad_pilots.relative_to(paths.ROOT)),
    )
)

# %% [markdown]
# (own-columns)=
# ## Any staggered panel, by its roles
#
# A county, firm or state panel with a staggered policy has none of the paper's columns.
# Name what each column is instead — `unit`, `time`, `outcome` (several: `a+b`), the
# timing as `cohort` (first treated period; 0, empty, inf or a period after the last one
# mean never treated) or as a 0/1 `treatment` that switches on once, and optionally
# `controls` and `cluster` — and the checks are those the roles need: the columns exist,
# one row per unit and period, whole periods, one cohort per unit, numeric outcomes; not
# the paper's cities or years. The paper's schema is one named instance of the same roles
# (`--columns paper`, the default).
#
# Here R `did`'s `mpdta` (500 US counties, 2003–2007, teen employment; shipped with
# `moderndid`), written as a Parquet file:

# %% tags=["hide-input"]
mpdta_path = folder / "mpdta.parquet"
moderndid.load_mpdta().write_parquet(mpdta_path)
mpdta_roles = "unit=countyreal,time=year,outcome=lemp,cohort=first.treat"
shown_mpdta = str(mpdta_path.relative_to(paths.ROOT))
print(transcript("check-data", shown_mpdta, "--columns", mpdta_roles))

# %% [markdown]
# A typo in a role names the column and the closest ones the file has; a command that
# reproduces the paper's tables says in one line that it needs the paper's variables:

# %% tags=["hide-input"]
print(
    transcript(
        "check-data", shown_mpdta, "--columns", mpdta_roles.replace("=countyreal", "=county")
    )
)
print(transcript("table", "2", "--data", shown_mpdta, "--columns", mpdta_roles))

# %% [markdown]
# The modern-DID chapter runs on it, and so does the book, which skips, with one line
# each, the chapters that only make sense on the paper's variables:
#
# ```bash
# replicate run 09 --data mpdta.parquet \
#     --columns unit=countyreal,time=year,outcome=lemp,cohort=first.treat
# replicate book --data mpdta.parquet \
#     --columns unit=countyreal,time=year,outcome=lemp,cohort=first.treat
# ```
#
# From Python the same roles are a dict:

# %%
panel = read_staggered(
    mpdta_path, {"unit": "countyreal", "time": "year", "outcome": "lemp", "cohort": "first.treat"}
)
print(panel.summary())
print(panel.roles)
