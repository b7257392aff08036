"""The data layer: raw inputs, pilot coding, reading and writing, validation, the twin.

Modules, each with one job and imported in this order (no cycle): ``raw`` and ``schema``
(public inputs, column names) → ``pilots`` (treatment timing) → ``validate`` (``Problem``,
``PanelError``, ``Panel``, the checks) → ``cities`` (column and city mapping) → ``io``
(reading and writing with one metadata convention) → ``synthetic`` (the twin) →
``panel`` (``load_panel`` on top of them all).
"""

from replicate.data.io import FileError, read_table, write_table
from replicate.data.panel import load_panel, read_pilots, read_staggered
from replicate.data.pilots import PilotCoding, code_pilots
from replicate.data.raw import SAMPLE_YEARS, cities, gwr_reports, pilot_entries
from replicate.data.schema import PAPER, Roles, parse_roles
from replicate.data.validate import Panel, PanelError, Problem, StaggeredPanel

__all__ = [
    "PAPER",
    "SAMPLE_YEARS",
    "FileError",
    "Panel",
    "PanelError",
    "PilotCoding",
    "Problem",
    "Roles",
    "StaggeredPanel",
    "cities",
    "code_pilots",
    "gwr_reports",
    "load_panel",
    "parse_roles",
    "pilot_entries",
    "read_pilots",
    "read_staggered",
    "read_table",
    "write_table",
]
