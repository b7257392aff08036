# %% [markdown]
# (ch-specifications)=
# # Try another specification
#
# Every chapter starts with a cell of parameters. Change them in three ways:
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
#
# The table below is generated from the notebooks' parameter cells when the book is
# built, so it always matches them.

# %% tags=["parameters"]
data = "synthetic"  # unused: this page only lists the other chapters' parameters

# %%
import pandas as pd

from replicate.book import notebook_parameters

pd.set_option("display.max_colwidth", 90)
parameters = notebook_parameters()
parameters[parameters["notebook"] != "13_specifications"].set_index(["notebook", "parameter"])
