"""Load, validate and code the city panel; generate the synthetic twin."""

from replicate.data.pilots import PilotCoding, code_pilots
from replicate.data.raw import SAMPLE_YEARS, cities, gwr_reports, pilot_entries

__all__ = ["PilotCoding", "SAMPLE_YEARS", "cities", "code_pilots", "gwr_reports", "pilot_entries"]
