"""myst-nb's ``glue``, without the import that costs each chapter seconds.

``myst_nb.glue`` imports ``nbformat`` (for a type it does not need to glue), which imports
``jsonschema``, which builds the ``rfc3987_syntax`` package's 38 lark grammars when that
package is installed (JupyterLab's ``jupyter-events`` pulls it in): 2.5 s of CPU on an idle
machine in every chapter, paid before the first value is glued. :func:`glue` writes the same
display data (same mime keys, same ``scrapbook`` metadata, checked against myst-nb's own in
``tests/test_glue.py``) with IPython alone, so Jupyter Book pastes it exactly as before.
"""

from __future__ import annotations

from typing import Any

GLUE_PREFIX = "application/papermill.record/"
"""The mime-type prefix myst-nb reads a hidden glued value from (``myst_nb.ext.glue``)."""


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Glue ``variable`` under ``name`` for ``{glue:}`name``` roles, as ``myst_nb.glue``."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipython_display

    mimebundle, metadata = format_display_data(variable)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipython_display({prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
