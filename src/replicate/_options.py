"""One check for options that take a value from a fixed set (pyfixest ``literals.py`` style).

Every public entry point validates its ``Literal`` options with :func:`check_choice`, so a
bad value always raises the same ``ValueError`` naming the option and listing what is
allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args


def allowed_values(allowed: object) -> tuple:
    """The allowed values of a ``Literal`` type, or of any iterable (a string is one value)."""
    values = get_args(allowed)
    if values:
        return values
    if isinstance(allowed, str):
        return (allowed,)
    if isinstance(allowed, Iterable):
        return tuple(allowed)
    raise TypeError(f"allowed={allowed!r}: pass a Literal type or an iterable of values.")


def check_choice(name: str, value: object, allowed: object) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``.

    Parameters
    ----------
    name : str
        The option's name as the user typed it, e.g. ``"cov_type"``.
    value : object
        The value passed.
    allowed : Literal type or iterable
        ``Literal["cluster", "robust"]`` or a sequence of values.

    Examples
    --------
    >>> from typing import Literal
    >>> check_choice("fmt", "md", Literal["md", "csv"])
    >>> check_choice("fmt", "pdf", ("md", "csv"))
    Traceback (most recent call last):
    ...
    ValueError: fmt='pdf' is not allowed; choose one of ['md', 'csv'].
    """
    values = allowed_values(allowed)
    try:
        ok = value in values
    except TypeError:  # unhashable or incomparable value
        ok = False
    if not ok:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {list(values)}.")
