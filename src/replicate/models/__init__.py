"""Estimators. Each model class takes a DataFrame, ``fit()`` returns a results object."""

from replicate.models.twfe import TWFE, TWFEResults

__all__ = ["TWFE", "TWFEResults"]
