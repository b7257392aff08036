# %% [markdown]
# (ch-specifications)=
# # Try another specification
#
# Every chapter starts with a cell of parameters. Change them in four ways:
#
# 1. **Command line** — one chapter, other parameters, into `_build/executed/`:
#    ```bash
#    replicate run 05 -p controls "[fdi, hum, mar]" -p cluster province
#    replicate run 09 -p permutations 5000 -p mbar_values "[0.5, 1, 1.5]"
#    ```
#    Values are read as YAML: `0.05`, `true`, `[fdi, hum]`, `{mar: 100.0}`.
# 2. **papermill** from Python or a shell, on the paired notebook:
#    ```bash
#    jupytext --to ipynb notebooks/06_mechanism.py
#    papermill notebooks/06_mechanism.ipynb out.ipynb -p bootstrap_draws 4999 -y "controls: [hum, gov]"
#    ```
# 3. **The whole book** on another panel: `replicate book --data mypanel.dta`.
# 4. **In JupyterLab**, editing the chapter itself, then putting it into this site:
#    ```bash
#    make lab                      # JupyterLab at notebooks/; double-click 05_baseline.py
#    # edit the parameters cell (e.g. controls), Run > Run All Cells, save (Ctrl-S)
#    replicate book --only 05      # re-execute that chapter and render the site again
#    ```
#    Saving writes the `.py` back with only the lines you changed (`git diff` shows your
#    edit and nothing else). A chapter that fails names its cell, and the site keeps its
#    last good page. Every page's download button also offers the chapter as `.ipynb` and
#    as this `.py`.
#
# The parameter table at the end of this page is generated from the notebooks' parameter
# cells when the book is built, so it always matches them.

# %% tags=["parameters"]
data = "synthetic"  # "synthetic" or a path to your panel (for the regression below)
formula = "nqp ~ did + fdi + hum | city_id + year + province^year"  # y ~ x | fixed effects
vcov = {"CRV1": "city_id"}  # {"CRV1": column}, "hetero" or "iid"

# %% [markdown]
# ## One regression, written as a formula
#
# Every regression in the book is one call to `replicate.fit` with a formula in the
# grammar of R's `fixest` and Python's `pyfixest`: the outcome, `~`, the regressors
# joined by `+`, then `|` and the fixed effects to absorb (`province^year` for
# province-by-year effects). `vcov` chooses the standard errors. A panel is put on the
# regressions' scale (`mar` and `fin` in percent) before fitting. Edit the formula in the
# parameters cell — or pass `-p formula "nqp ~ did + mar | city_id + year"` — and compare
# it with the paper's last column of Table 2, {glue:text}`spec_table2_7`:

# %% tags=["hide-input"]
import replicate
from replicate import replication
from replicate.book import notebook_parameters
from replicate.data import load_panel
from replicate.report import tables
from replicate.report.glue import glue

panel = load_panel(data)
table2 = replication.formulas(2)  # the paper's seven columns, as formulas
glue("spec_table2_7", table2[7], display=False)

# %%
paper_column = replicate.fit(table2[7], panel, vcov=replication.vcov_option())
yours = replicate.fit(formula, panel, vcov=vcov)
tables.show(replicate.etable(paper_column, yours, labels=["Table 2 (7)", "yours"]))

# %% [markdown]
# The fixed-effect rows, N and the kind of standard error are read from each fit, so the
# table always describes what was estimated.
#
# ## Every chapter's parameters

# %% tags=["hide-input"]
parameters = notebook_parameters()
tables.show(
    parameters[parameters["notebook"] != "13_specifications"].set_index(["notebook", "parameter"]),
    "The parameters of every chapter",
    synthetic=False,
    notes="Not data: the parameters each chapter declares, read from its first cell.",
)
