"""Executable replication of Liu & Zou, "Research on the Impact of Digital Infrastructure
Construction on Urban New Quality Productive Forces".

Data flows one way: ``replicate.data`` (load, validate, code the pilots, synthetic twin)
→ ``replicate.index`` (text → nqp) → ``replicate.models`` (estimators) →
``replicate.report`` (tables, figures) → notebooks → book.
"""

__version__ = "0.1.0"

from replicate.models.fit import fit  # noqa: E402  (the one entry point for regressions)
from replicate.report.etable import etable  # noqa: E402  (fits side by side)

__all__ = ["__version__", "etable", "fit"]
