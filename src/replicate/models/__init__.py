"""Estimators. ``replicate.fit(formula, data, ...)`` fits linear models with fixed effects;
the DID estimators take ``(data, outcome, *, unit, time, cohort, controls, cluster)``."""

from replicate.models.fit import fit
from replicate.models.timing import first_treatment
from replicate.models.twfe import TWFE, FitResults, TWFEResults

__all__ = ["TWFE", "FitResults", "TWFEResults", "first_treatment", "fit"]
