"""Load, validate and code the city panel; generate the synthetic twin."""

from replicate.data.panel import Panel, PanelError, load_panel
from replicate.data.pilots import PilotCoding, code_pilots
from replicate.data.raw import SAMPLE_YEARS, cities, gwr_reports, pilot_entries

__all__ = [
    "SAMPLE_YEARS",
    "Panel",
    "PanelError",
    "PilotCoding",
    "cities",
    "code_pilots",
    "gwr_reports",
    "load_panel",
    "pilot_entries",
]
