"""Input validation shared by every critbook module (private).

Each helper raises :class:`TypeError` for a value of the wrong kind and
:class:`ValueError` for a value outside its allowed range. Messages name the
argument, the value received and what is allowed, so that a reader calling
critbook on their own data knows at once what to fix.

The full list of checked inputs, one row per bad value, is the input contract
in ``tests/input_contract.py`` (rendered on the API reference page).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: What an ``rng`` argument accepts (see :func:`as_rng`).
SeedLike = (
    int | ArrayLike | np.random.SeedSequence | np.random.BitGenerator | np.random.Generator | None
)

__all__ = [
    "SeedLike",
    "as_tokens",
    "check_real",
    "check_int",
    "check_rho",
    "as_real_array",
    "as_vector",
    "as_rng",
    "check_dtype",
    "scalar_or_array",
]

# Row norms whose square is a normal float64: beyond these the squared norm
# overflows to inf or loses precision in the subnormal range, and
# ``x / ||x||`` would silently come out as zeros or garbage.
_NORM_RANGE = {
    np.dtype(np.float64): (
        float(np.sqrt(np.finfo(np.float64).tiny)),
        float(np.sqrt(np.finfo(np.float64).max)),
    ),
    # float32 tokens are divided by a float32 norm, which must be a normal float32.
    np.dtype(np.float32): (float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)),
}


def _show(value: Any) -> str:
    """Short printable form of ``value`` for an error message."""
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - a broken __repr__
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    """``"type value"``, e.g. ``"str 'abc'"``, for an error message."""
    return f"{type(value).__name__} {_show(value)}"


def _interval(
    low: float | None, high: float | None, low_open: bool = False, high_open: bool = False
) -> str:
    """The interval as text, e.g. ``[0, 1)`` or ``(0, inf)``."""
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    return f"{left}{lo}, {hi}{right}"


def _row_norm(row: np.ndarray) -> float:
    """Euclidean norm of one row without overflow or underflow (for messages)."""
    row = np.asarray(row, dtype=np.float64)
    m = float(np.max(np.abs(row)))
    return 0.0 if m == 0.0 else m * float(np.sqrt(np.sum((row / m) ** 2)))


def as_tokens(X: Any, name: str = "X", *, normalizable: bool = True) -> np.ndarray:
    """Validate a token matrix and return it as a float array.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Token matrix, one token per row: real numbers (bool and integer
        entries are converted to float), finite, ``n >= 1``, ``d >= 1``.
    name : str
        Argument name used in error messages.
    normalizable : bool
        If true, every row must have a positive norm whose square is a normal
        floating-point number, so that ``x / ||x||`` is accurate: for float64
        a norm in ``[1.5e-154, 1.3e154]``, for float32 in
        ``[1.2e-38, 3.4e38]``. If false, rows may be zero, but the squared
        Frobenius norm of ``X`` must not overflow float64, and must not
        underflow to zero unless ``X`` is all zeros.

    Returns
    -------
    numpy.ndarray
        ``X`` as float32 (if given as float32) or float64.

    Raises
    ------
    TypeError
        If ``X`` is not an array of real numbers (strings, objects, complex).
    ValueError
        If ``X`` is not 2-D, is empty, holds NaN or inf, or has a row with
        a zero or unrepresentable norm.
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers, got {_kind(X)}")
    try:
        arr = np.asarray(X)
    except Exception as exc:
        raise TypeError(
            f"{name} must be a 2-D array of real numbers, got {_kind(X)} which numpy cannot "
            f"convert: {exc}"
        ) from exc
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(
            f"{name} must be a 2-D array of real numbers, got dtype {arr.dtype} ({_show(X)})"
        )
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n, d), one token per row; got shape {arr.shape}"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have n >= 1 rows and d >= 1 columns; got shape {arr.shape}")
    dtype = np.dtype(np.float32) if arr.dtype == np.float32 else np.dtype(np.float64)
    arr = np.asarray(arr, dtype=dtype)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{name} must be finite (no NaN or inf); entry {bad} is {arr[bad]}")
    with np.errstate(over="ignore", under="ignore"):
        if normalizable:
            sq = np.einsum("ij,ij->i", arr, arr, dtype=np.float64)
        else:
            total = float(np.einsum("ij,ij->", arr, arr, dtype=np.float64))
    if normalizable:
        lo, hi = _NORM_RANGE[dtype]
        suspect = np.flatnonzero(~((sq >= lo * lo) & (sq <= hi * hi)))
        for i in suspect:
            norm = _row_norm(arr[i])
            if norm == 0.0:
                raise ValueError(
                    f"{name} has a zero row (row {int(i)}): every token needs a positive norm "
                    "to be normalised"
                )
            if not lo <= norm <= hi:
                raise ValueError(
                    f"{name} row {int(i)} has norm {norm:.3g}, outside [{lo:.3g}, {hi:.3g}] "
                    f"where a {dtype.name} token can be normalised accurately; rescale {name} "
                    f"(for example divide by np.abs({name}).max())"
                )
    else:
        if total == np.inf:
            raise ValueError(
                f"{name} is too large: its squared Frobenius norm overflows float64 "
                f"(max |entry| = {float(np.abs(arr).max()):.3g}); rescale {name}"
            )
        if total < np.finfo(np.float64).tiny and np.any(arr != 0):
            raise ValueError(
                f"{name} is too small: its squared Frobenius norm underflows float64 "
                f"(max |entry| = {float(np.abs(arr).max()):.3g}); rescale {name}"
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
    """Validate a finite real scalar in an interval and return it as a float.

    A 0-d array is accepted. ``bool``, complex numbers, strings, ``None``
    and arrays with more than one element raise :class:`TypeError`; NaN,
    inf, a value too large for a float, or a value outside the interval
    raise :class:`ValueError`.
    """
    allowed = _interval(low, high, low_open, high_open)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in {allowed}, got {_kind(value)}")
    try:
        fvalue = float(value)
    except OverflowError:
        raise ValueError(
            f"{name} must be a finite real number in {allowed}, got {_show(value)} "
            "(too large for a float)"
        ) from None
    if not np.isfinite(fvalue):
        raise ValueError(f"{name} must be a finite real number in {allowed}, got {fvalue}")
    _check_interval(np.asarray(fvalue), name, low, high, low_open, high_open)
    return fvalue


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
    allowed = _interval(low, high, low_open, high_open)
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or array in {allowed}, got {_kind(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise TypeError(
            f"{name} must be a real number or array in {allowed}, got {_kind(value)}"
        ) from exc
    if (
        arr.dtype == object
        and arr.size
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in arr.flat
        )
    ):
        # Python integers too large for int64 (e.g. n = 10**400) arrive as objects.
        try:
            arr = arr.astype(np.float64)
        except OverflowError:
            raise ValueError(
                f"{name} must be finite, in {allowed}; got {_show(value)} (too large for a float)"
            ) from None
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, in {allowed}; got complex {_show(value)}")
    if arr.dtype == object or arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a real number or array in {allowed}, got {_kind(value)}")
    arr = arr.astype(np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        if arr.ndim == 0:
            raise ValueError(f"{name} must be a finite real number in {allowed}, got {float(arr)}")
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} must be finite, in {allowed}; entry {bad} is {arr[bad]} ({_show(value)})"
        )
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
        interval = _interval(low, high, low_open, high_open)
        offending = arr[bad].ravel()[0] if arr.ndim else float(arr)
        where = ""
        if arr.ndim:
            where = f" (entry {tuple(int(i) for i in np.argwhere(bad)[0])})"
        raise ValueError(f"{name} must lie in {interval}, got {float(offending)!r}{where}")


def as_vector(value: Any, name: str, **bounds: Any) -> np.ndarray:
    """Validate a scalar or non-empty 1-D sequence of finite reals (float64, 1-D).

    ``bounds`` are passed to :func:`as_real_array` (``low``, ``high``,
    ``low_open``, ``high_open``).
    """
    arr = as_real_array(value, name, **bounds)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D sequence; got shape {arr.shape}")
    arr = np.atleast_1d(arr)
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one value; got an empty sequence")
    return arr


def check_int(value: Any, name: str, *, low: int = 1, high: int | None = None) -> int:
    """Validate an integer in ``[low, high]`` (a float with an integral value is accepted).

    A 0-d integer array is accepted. ``bool`` and non-integral numbers
    (``2.5``, NaN, inf) raise :class:`TypeError`; an integer out of range
    raises :class:`ValueError`.
    """
    allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer {allowed}, got bool {value}")
    if isinstance(value, numbers.Integral):
        ivalue = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        ivalue = int(value)
    else:
        raise TypeError(f"{name} must be an integer {allowed}, got {_kind(value)}")
    if ivalue < low or (high is not None and ivalue > high):
        raise ValueError(f"{name} must be an integer {allowed}, got {ivalue}")
    return ivalue


def check_rho(value: Any, name: str = "rho") -> Any:
    """Validate a cosine ``rho`` in ``[0, 1)`` (scalar or array)."""
    arr = as_real_array(value, name, low=0.0, high=1.0, high_open=True)
    return float(arr) if arr.ndim == 0 else arr


def check_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Validate a floating dtype: numpy.float32 or numpy.float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be numpy.float32 or numpy.float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name} must be numpy.float32 or numpy.float64, got {dt}")
    return dt


def scalar_or_array(x: Any) -> Any:
    """A 0-d result as a Python float, anything else as the array (the package's return rule)."""
    return float(x) if np.ndim(x) == 0 else x


def as_rng(rng: SeedLike) -> np.random.Generator:
    """``numpy.random.default_rng(rng)``, with an error that names ``rng`` (SPEC 7).

    Accepted: whatever :func:`numpy.random.default_rng` accepts (``None``, a
    non-negative integer seed or sequence of them, a ``SeedSequence``, a
    ``BitGenerator``, a ``Generator``, which is returned as is).
    """
    allowed = "None, a non-negative integer seed or a numpy.random.Generator"
    if isinstance(rng, (bool, np.bool_, float, str, bytes)):  # default_rng would take some
        raise TypeError(f"rng must be {allowed}, got {_kind(rng)}")
    try:
        return np.random.default_rng(rng)
    except ValueError as exc:
        raise ValueError(f"rng must be {allowed}; got {_show(rng)} ({exc})") from None
    except TypeError as exc:
        raise TypeError(f"rng must be {allowed}, got {_kind(rng)} ({exc})") from None
