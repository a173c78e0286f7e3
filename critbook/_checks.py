"""Input validation shared by every critbook module (private).

Each helper raises :class:`TypeError` for a value of the wrong kind and
:class:`ValueError` for a value outside its allowed range. Messages name the
argument, the value received and what is allowed, so that a reader calling
critbook on their own data knows at once what to fix.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "as_tokens",
    "check_real",
    "check_int",
    "check_rho",
    "as_real_array",
    "as_rng",
]


def _show(value: Any) -> str:
    """Short printable form of ``value`` for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_tokens(X: Any, name: str = "X", *, normalizable: bool = True) -> np.ndarray:
    """Validate a token matrix and return it as a float array.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Token matrix, one token per row.
    name : str
        Argument name used in error messages.
    normalizable : bool
        If true, every row must have a positive norm.

    Returns
    -------
    numpy.ndarray
        ``X`` as float32 (if given as float32) or float64.
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers, got {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # pragma: no cover - exotic array-likes
        raise TypeError(f"{name} must be a 2-D array of real numbers: {exc}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(f"{name} must be a 2-D array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n, d), one token per row; got shape {arr.shape}"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have n >= 1 rows and d >= 1 columns; got shape {arr.shape}")
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    arr = np.asarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} must be finite; entry {tuple(int(i) for i in bad)} is {arr[tuple(bad)]}"
        )
    if normalizable:
        norms = np.einsum("ij,ij->i", arr, arr, dtype=np.float64)
        zero = np.flatnonzero(norms == 0.0)
        if zero.size:
            raise ValueError(
                f"{name} has a zero row (row {int(zero[0])}): every token needs a positive norm "
                "to be normalised"
            )
    return arr


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Validate a finite real scalar in an interval and return it as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return check_real(
                value.item(), name, low=low, high=high, low_open=low_open, high_open=high_open
            )
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_show(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    _check_interval(np.asarray(value), name, low, high, low_open, high_open)
    return value


def as_real_array(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> np.ndarray:
    """Validate a real scalar or array of finite values in an interval (float64)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or array, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a real number or array, got {_show(value)}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got {_show(value)}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    _check_interval(arr, name, low, high, low_open, high_open)
    return arr


def _check_interval(
    arr: np.ndarray,
    name: str,
    low: float | None,
    high: float | None,
    low_open: bool,
    high_open: bool,
) -> None:
    bad = np.zeros(arr.shape, dtype=bool)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = ("(" if low_open or low is None else "[") + f"{lo}, {hi}" + (
            ")" if high_open or high is None else "]"
        )
        offending = arr[bad].ravel()[0] if arr.ndim else float(arr)
        raise ValueError(f"{name} must lie in {interval}, got {offending:g}")


def check_int(value: Any, name: str, *, low: int = 1) -> int:
    """Validate an integer ``>= low`` (a float with an integral value is accepted)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool {value}")
    if isinstance(value, (numbers.Integral, np.integer)):
        ivalue = int(value)
    elif isinstance(value, (numbers.Real, np.floating)) and float(value).is_integer():
        ivalue = int(value)
    else:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {_show(value)}")
    if ivalue < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {ivalue}")
    return ivalue


def check_rho(value: Any, name: str = "rho") -> Any:
    """Validate a cosine ``rho`` in ``[0, 1)`` (scalar or array)."""
    arr = as_real_array(value, name, low=0.0, high=1.0, high_open=True)
    return float(arr) if arr.ndim == 0 else arr


def as_rng(rng: Any) -> np.random.Generator:
    """Turn ``None``, an integer seed or a Generator into a :class:`numpy.random.Generator`."""
    if rng is None or isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be None, an integer seed or a numpy.random.Generator, got {type(rng).__name__}"
    )
