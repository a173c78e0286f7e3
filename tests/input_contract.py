"""The input contract of critbook's public functions: one declarative row per argument.

Single source of truth for the validation tests (``tests/test_robustness.py``
tries every row) and for the "Allowed values" lines of the API reference page
(rendered by :func:`allowed_rst`, inserted by ``tools/critbook_api.py``).

Each :class:`Case` holds the function name (in ``critbook``), the argument, the
allowed values, a short description of the bad value, a callable making the
call (every other argument valid), the exception type expected, the argument
name the message must contain (as a whole word) and ``shows``: text the message
must contain as well, the value given or the allowed range.

Families of arguments (token matrices, reals in an interval, counts, cosines,
seeds, ...) are declared through one helper each (``_tokens``, ``_real``, ...).
The first time a family is declared with given bounds, every bad value of the
family is tried (this tests the validation helper behind it thoroughly, once);
every later (function, argument) of the same family gets one row, the bad
value that only a complete check rejects (NaN where the family has one): it
proves that the argument goes through the helper. Function-specific limits
(``n`` too large for a dense matrix, ``rows > n``, ...) are rows of their own.

Every public callable in ``critbook.__all__`` needs a row for each of its
arguments, or a documented entry in :data:`EXEMPT` (plain records).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import critbook as cb

__all__ = ["Case", "CASES", "EXEMPT", "allowed_rst", "allowed_values"]


@dataclass(frozen=True)
class Case:
    function: str
    argument: str
    bad_value: str
    call: Callable[[], Any]
    error: type[Exception]
    fragment: str
    allowed: str = ""
    shows: tuple[str, ...] = field(default=())


#: Public callables of ``critbook.__all__`` that need no row, with the reason.
EXEMPT: dict[str, str] = {
    "Rule": "a plain record (label, factor, reference_length) returned by practical_rules",
    "RegimeSegment": "a plain record (start, stop, regime) returned by regime_segments",
    "Diagnosis": "a plain record of results returned by diagnose",
}

CASES: list[Case] = []

NAN, INF = float("nan"), float("inf")


def _add(
    function: str,
    argument: str,
    bad_value: str,
    call: Callable[[], Any],
    error: type[Exception],
    shows: tuple[str, ...] | str = (),
    *,
    allowed: str = "",
    fragment: str | None = None,
) -> None:
    if isinstance(shows, str):
        shows = (shows,)
    CASES.append(
        Case(
            function=function,
            argument=argument,
            bad_value=bad_value,
            call=call,
            error=error,
            fragment=argument if fragment is None else fragment,
            allowed=allowed,
            shows=tuple(shows),
        )
    )


# ---------------------------------------------------------------------------
# Families of bad values shared by many functions
# ---------------------------------------------------------------------------

#: Family declarations (helper and bounds) whose every bad value has been tried once.
_TRIED_IN_FULL: set[tuple[str, str]] = set()
_depth = 0


def _family(helper: Callable[..., None]) -> Callable[..., None]:
    """Declare a family helper: all its rows the first time (per bounds), one row after.

    The row kept afterwards is the family's NaN row if it has one (a hand-written
    range check lets NaN through; the validation helpers do not), else its first row.
    """

    @functools.wraps(helper)
    def declare(function: str, *args: Any, **kwargs: Any) -> None:
        global _depth
        start = len(CASES)
        _depth += 1
        try:
            helper(function, *args, **kwargs)
        finally:
            _depth -= 1
        if _depth:
            return  # a family helper called by another: the outer one decides
        bounds = {k: v for k, v in kwargs.items() if k not in ("allowed", "argument")}
        key = (helper.__name__, repr(sorted(bounds.items())))
        if key not in _TRIED_IN_FULL:
            _TRIED_IN_FULL.add(key)
            return
        rows = CASES[start:]
        keep = next((c for c in rows if "nan" in c.bad_value.lower()), rows[0])
        del CASES[start:]
        CASES.append(keep)

    return declare

TOKENS = (
    "real 2-D array (n, d) with n, d >= 1: finite, every row of positive norm (in "
    "[1.5e-154, 1.3e154] for float64, so that it can be normalised); float32 stays float32"
)
MATRIX = (
    "real 2-D array (n, d) with n, d >= 1: finite, not all zeros, squared norm "
    "representable in float64"
)


@_family
def _tokens(function: str, call: Callable[[Any], Any], *, argument: str = "X",
            normalizable: bool = True, allowed: str | None = None) -> None:
    """The standard bad token matrices: ``call(bad)`` makes the call."""
    allowed = (TOKENS if normalizable else MATRIX) if allowed is None else allowed

    def add(bad_value: str, X: Any, error: type[Exception], shows: tuple[str, ...]) -> None:
        _add(function, argument, bad_value, lambda: call(X), error, shows, allowed=allowed)

    add("1-D array `np.ones(3)`", np.ones(3), ValueError, ("(3,)",))
    add("3-D array, shape (2, 2, 2)", np.ones((2, 2, 2)), ValueError, ("(2, 2, 2)",))
    add("empty, shape (0, 3)", np.ones((0, 3)), ValueError, ("(0, 3)",))
    add("a NaN entry", np.array([[1.0, NAN], [1.0, 1.0]]), ValueError, ("nan", "(0, 1)"))
    add("an inf entry", np.array([[1.0, 1.0], [-INF, 1.0]]), ValueError, ("inf", "(1, 0)"))
    if normalizable:
        add("a zero row", np.array([[1.0, 0.0], [0.0, 0.0]]), ValueError, ("zero row", "row 1"))
        add("a row of norm 1e200 (squared norm overflows)",
            np.array([[1e200, 0.0], [0.0, 1.0]]), ValueError, ("1e+200",))
        add("a row of norm 1e-200 (squared norm underflows)",
            np.array([[1e-200, 0.0], [0.0, 1.0]]), ValueError, ("1e-200",))
    else:
        add("entries 1e200 (squared norm overflows)", np.full((2, 2), 1e200), ValueError,
            ("1e+200",))
        add("entries 1e-200 (squared norm underflows)", np.full((2, 2), 1e-200), ValueError,
            ("1e-200",))
    add("complex array", np.ones((2, 2)) + 1j, TypeError, ("complex",))
    add("array of strings", np.array([["a", "b"]]), TypeError, ("<U1",))
    add("object array holding None", np.array([[1.0, None]], dtype=object), TypeError,
        ("object",))
    add("ragged nested list", [[1.0, 2.0], [3.0]], TypeError, ("[[1.0, 2.0], [3.0]]",))
    add("`None`", None, TypeError, ("NoneType",))


@_family
def _real(function: str, argument: str, call: Callable[[Any], Any], *, low: float | None = 0.0,
          high: float | None = None, low_open: bool = False, high_open: bool = False,
          allowed: str | None = None, arrays: bool = False, types: bool = True,
          none_ok: bool = False) -> None:
    """Bad values for a finite real scalar (or array, if ``arrays``) in an interval.

    ``none_ok``: ``None`` is an accepted value (a default), so no row for it.
    """
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    interval = ("(" if low_open or low is None else "[") + f"{lo}, {hi}" + \
        (")" if high_open or high is None else "]")
    kind = "number or array" if arrays else "number"
    allowed = f"finite real {kind} in {interval}" if allowed is None else allowed

    def add(bad_value: str, value: Any, error: type[Exception], shows: tuple[str, ...]) -> None:
        _add(function, argument, bad_value, lambda: call(value), error, shows, allowed=allowed)

    bad = None
    if low is not None:
        bad = low - max(1.0, abs(low))
        add(f"`{bad:g}`", bad, ValueError, (repr(bad), interval))
        if low_open:
            add(f"`{low:g}`", low, ValueError, (repr(float(low)), interval))
    if high is not None:
        above = high + max(1.0, abs(high))
        add(f"`{above:g}`", above, ValueError, (repr(above), interval))
        if high_open:
            add(f"`{high:g}`", high, ValueError, (repr(float(high)), interval))
        bad = above if bad is None else bad
    add("`nan`", NAN, ValueError, ("nan", interval))
    add("`inf`", INF, ValueError, ("inf", interval))
    if high is None:
        add("`10**400` (too large for a float)", 10**400, ValueError, ("1000000", interval))
    if types:
        add("the string `'1'`", "1", TypeError, ("str", "'1'"))
        add("`True`", True, TypeError, ("bool",))
        add("complex `1+1j`", 1 + 1j, TypeError, ("complex",))
        if not none_ok:
            add("`None`", None, TypeError, ("None",))
    if arrays and bad is not None:
        good = 1.0 if (low is None or low < 1.0 or (low == 1.0 and not low_open)) else low + 1.0
        if high is not None and good >= high:
            good = (low + high) / 2 if low is not None else high - 1.0
        add(f"array `[{good:g}, {bad:g}]`", np.array([good, bad]), ValueError,
            (repr(bad), "entry (1,)"))
        add(f"array `[{good:g}, nan]`", np.array([good, NAN]), ValueError, ("nan", "(1,)"))
    elif not arrays:
        add("array `[1.0, 2.0]` (a scalar is needed)", np.array([1.0, 2.0]), TypeError,
            ("ndarray",))


@_family
def _scalar(function: str, argument: str, call: Callable[[Any], Any], *, low: float = 0.0,
            low_open: bool = False, allowed: str | None = None, arrays: bool = False) -> None:
    """Bad values for a finite real scalar (or array, if ``arrays``) ``>= low`` / ``> low``."""
    _real(function, argument, call, low=low, low_open=low_open, allowed=allowed, arrays=arrays)


@_family
def _vector(function: str, argument: str, call: Callable[[Any], Any], *, low: float = 0.0,
            high: float | None = None, high_open: bool = False) -> None:
    """Bad values for a non-empty 1-D sequence of reals in an interval (a grid axis)."""
    hi = "inf" if high is None else f"{high:g}"
    interval = f"[{low:g}, {hi}" + (")" if high_open or high is None else "]")
    allowed = f"a number or non-empty 1-D sequence of finite reals in {interval}"

    def add(bad_value: str, value: Any, error: type[Exception], shows: tuple[str, ...]) -> None:
        _add(function, argument, bad_value, lambda: call(value), error, shows, allowed=allowed)

    good = low if high is None else (low + high) / 2
    add("`[]` (empty)", [], ValueError, ("empty",))
    add(f"2-D `[[{good:g}]]`", [[good]], ValueError, ("1-D",))
    add(f"`[{good:g}, {low - 1:g}]`", [good, low - 1.0], ValueError, (repr(low - 1.0), interval))
    if high is not None:
        add(f"`[{good:g}, {high:g}]`" if high_open else f"`[{good:g}, {high + 1:g}]`",
            [good, high if high_open else high + 1.0], ValueError, (interval,))
    add(f"`[{good:g}, nan]`", [good, NAN], ValueError, ("nan",))
    add("the string `'1'`", "1", TypeError, ("str",))


@_family
def _choice(function: str, argument: str, call: Callable[[Any], Any], options: tuple[str, ...],
            *, error_for_non_str: type[Exception] = ValueError) -> None:
    allowed = "one of " + ", ".join(f"`'{o}'`" for o in options)
    _add(function, argument, "`'bogus'`", lambda: call("bogus"), ValueError,
         ("'bogus'", options[0]), allowed=allowed)
    _add(function, argument, "the integer `3`", lambda: call(3), error_for_non_str,
         ("3", options[0]), allowed=allowed)


@_family
def _flag(function: str, argument: str, call: Callable[[Any], Any]) -> None:
    _add(function, argument, "the string `'yes'`", lambda: call("yes"), TypeError,
         ("str",), allowed="`True` or `False`")


@_family
def _dtype(function: str, call: Callable[[Any], Any]) -> None:
    allowed = "`numpy.float32` or `numpy.float64`"
    _add(function, "dtype", "`numpy.int32`", lambda: call(np.int32), ValueError,
         ("int32",), allowed=allowed)
    _add(function, "dtype", "the string `'float17'`", lambda: call("float17"), TypeError,
         ("float17",), allowed=allowed)


@_family
def _rule(function: str, argument: str, call: Callable[[Any], Any]) -> None:
    allowed = "a callable mapping an array of lengths n to finite factors >= 0"
    _add(function, argument, "the number `3` (not callable)", lambda: call(3), TypeError,
         ("int",), allowed=allowed)
    _add(function, argument, "a rule returning NaN", lambda: call(lambda n: np.full_like(n, NAN)),
         ValueError, ("nan",), allowed=allowed)
    _add(function, argument, "a rule returning `-1`",
         lambda: call(lambda n: -np.ones_like(n)), ValueError, ("-1",), allowed=allowed)


@_family
def _rho(function: str, call: Callable[[Any], Any], *, argument: str = "rho",
         arrays: bool = True, open_zero: bool = False) -> None:
    """Bad cosines for a ``rho`` in ``[0, 1)`` (or ``(0, 1)``)."""
    interval = "(0, 1)" if open_zero else "[0, 1)"
    allowed = f"finite real {'number or array' if arrays else 'number'} in {interval}"

    def add(bad_value: str, value: Any, error: type[Exception], shows: tuple[str, ...]) -> None:
        _add(function, argument, bad_value, lambda: call(value), error, shows, allowed=allowed)

    add("`1.0`", 1.0, ValueError, ("1.0", interval))
    add("`1.5`", 1.5, ValueError, ("1.5", interval))
    add("`-0.1`", -0.1, ValueError, ("-0.1", interval))
    if open_zero:
        add("`0.0`", 0.0, ValueError, ("0.0", interval))
    add("`nan`", NAN, ValueError, ("nan", interval))
    add("the string `'0.5'`", "0.5", TypeError, ("str",))
    add("complex `0.5+0j`", 0.5 + 0j, TypeError, ("complex",))
    if arrays:
        add("array `[0.2, 1.0]`", np.array([0.2, 1.0]), ValueError, ("1.0", "entry (1,)"))


@_family
def _count(function: str, argument: str, call: Callable[[Any], Any], *, low: int = 1,
           high: int | None = None, allowed: str | None = None) -> None:
    """Bad values for an integer ``>= low`` (and ``<= high`` if given)."""
    bound = f">= {low}" if high is None else f"in [{low}, {high}]"
    allowed = f"integer {bound} (an integral float such as 3.0 is accepted)" \
        if allowed is None else allowed

    def add(bad_value: str, value: Any, error: type[Exception], shows: tuple[str, ...]) -> None:
        _add(function, argument, bad_value, lambda: call(value), error, shows, allowed=allowed)

    add(f"`{low - 1}`", low - 1, ValueError, (f"got {low - 1}", bound))
    add("`2.5` (not an integer)", 2.5, TypeError, ("2.5", bound))
    add("`nan`", NAN, TypeError, ("nan",))
    add("`True`", True, TypeError, ("bool",))
    add("the string `'3'`", "3", TypeError, ("str", "'3'"))


@_family
def _rng(function: str, call: Callable[[Any], Any]) -> None:
    allowed = "None, a non-negative integer seed, or a numpy.random.Generator"

    def add(bad_value: str, value: Any, error: type[Exception], shows: tuple[str, ...]) -> None:
        _add(function, "rng", bad_value, lambda: call(value), error, shows, allowed=allowed)

    add("seed `-1`", -1, ValueError, ("-1", "non-negative"))
    add("the string `'seed'`", "seed", TypeError, ("str", "'seed'"))
    add("float seed `1.5`", 1.5, TypeError, ("float", "1.5"))


# ---------------------------------------------------------------------------
# attention
# ---------------------------------------------------------------------------

_E3 = np.eye(3)

_tokens("normalize", lambda X: cb.normalize(X))

_tokens("attention_weights", lambda X: cb.attention_weights(X, 1.0))
_scalar("attention_weights", "beta", lambda b: cb.attention_weights(_E3, b))
_add("attention_weights", "X", "n = 16385 tokens (dense n-by-n matrix too large)",
     lambda: cb.attention_weights(np.ones((16385, 1)), 1.0), ValueError,
     ("16385", "16384"), allowed="at most 16384 rows (use attention_layer for more)")

_tokens("attention_layer", lambda X: cb.attention_layer(X, 1.0))
_scalar("attention_layer", "beta", lambda b: cb.attention_layer(_E3, b))
_scalar("attention_layer", "alpha", lambda a: cb.attention_layer(_E3, 1.0, a))
_count("attention_layer", "block", lambda b: cb.attention_layer(_E3, 1.0, block=b),
       allowed="integer >= 1, or None")

_tokens("attention_entropy", lambda X: cb.attention_entropy(X, 1.0))
_scalar("attention_entropy", "beta", lambda b: cb.attention_entropy(_E3, b))
_count("attention_entropy", "block", lambda b: cb.attention_entropy(_E3, 1.0, block=b),
       allowed="integer >= 1, or None")

# ---------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------

_count("simplex_tokens", "n", lambda n: cb.simplex_tokens(n, 0.5), high=16384)
_rho("simplex_tokens", lambda r: cb.simplex_tokens(3, r), arrays=False)
_scalar("simplex_tokens", "q", lambda q: cb.simplex_tokens(3, 0.5, q), low_open=True)
_add("simplex_tokens", "n", "`10**10` (an n-by-(n+1) array cannot be allocated)",
     lambda: cb.simplex_tokens(10**10, 0.5), ValueError, ("10000000000",),
     allowed="integer in [1, 16384] (the n-by-(n+1) array stays below about 2 GB)")

_count("gaussian_tokens", "n", lambda n: cb.gaussian_tokens(n, 4, 0.5, rng=0))
_count("gaussian_tokens", "d", lambda d: cb.gaussian_tokens(3, d, 0.5, rng=0))
_rho("gaussian_tokens", lambda r: cb.gaussian_tokens(3, 4, r, rng=0), arrays=False)
_rng("gaussian_tokens", lambda g: cb.gaussian_tokens(3, 4, 0.5, rng=g))

_count("uniform_sphere_tokens", "n", lambda n: cb.uniform_sphere_tokens(n, 4, rng=0))
_count("uniform_sphere_tokens", "d", lambda d: cb.uniform_sphere_tokens(3, d, rng=0))
_rng("uniform_sphere_tokens", lambda g: cb.uniform_sphere_tokens(3, 4, rng=g))

_tokens("almost_simplex_constants", lambda X: cb.almost_simplex_constants(X))
_add("almost_simplex_constants", "X", "a single token, shape (1, 3)",
     lambda: cb.almost_simplex_constants(np.ones((1, 3))), ValueError, ("n = 1", "n >= 2"),
     allowed="at least 2 rows")
_count("almost_simplex_constants", "block",
       lambda b: cb.almost_simplex_constants(_E3, block=b))

# ---------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------

_tokens("mean_cosine", lambda X: cb.mean_cosine(X))
_add("mean_cosine", "X", "a single token, shape (1, 3)", lambda: cb.mean_cosine(np.ones((1, 3))),
     ValueError, ("n = 1", "n >= 2"), allowed="at least 2 rows")

_tokens("angle_ratio", lambda X: cb.angle_ratio(X, _E3))
_tokens("angle_ratio", lambda X: cb.angle_ratio(_E3, X), argument="X_out")
_add("angle_ratio", "X_out", "4 rows for 3 input tokens",
     lambda: cb.angle_ratio(_E3, np.eye(4)), ValueError, ("3", "4"),
     allowed="as many rows as X (any number of columns)")
_add("angle_ratio", "X", "a single token, shape (1, 3)",
     lambda: cb.angle_ratio(np.ones((1, 3)), np.ones((1, 3))), ValueError, ("n = 1", "n >= 2"),
     allowed="at least 2 rows, no two in the same direction")
_add("angle_ratio", "X", "two tokens in the same direction",
     lambda: cb.angle_ratio(np.array([[1.0, 0.0], [2.0, 0.0]]), np.eye(2)), ValueError,
     ("same direction",), allowed="at least 2 rows, no two in the same direction")
_count("angle_ratio", "block", lambda b: cb.angle_ratio(_E3, _E3, block=b),
       allowed="integer >= 1, or None")

_tokens("rank_one_residual", lambda X: cb.rank_one_residual(X), normalizable=False)
_add("rank_one_residual", "X", "all zeros", lambda: cb.rank_one_residual(np.zeros((2, 3))),
     ValueError, ("all zeros",), allowed=MATRIX)

_tokens("effective_rank", lambda X: cb.effective_rank(X), normalizable=False)
_add("effective_rank", "X", "all zeros", lambda: cb.effective_rank(np.zeros((2, 3))),
     ValueError, ("all zeros",), allowed=MATRIX)

_tokens("iterate_layers", lambda X: cb.iterate_layers(X, [1.0]))
_BETAS = "1-D sequence of finite reals >= 0 (one per layer; may be empty)"
_add("iterate_layers", "betas", "`[1.0, -1.0]`", lambda: cb.iterate_layers(_E3, [1.0, -1.0]),
     ValueError, ("-1.0", "[0, inf)"), allowed=_BETAS)
_add("iterate_layers", "betas", "`[1.0, nan]`", lambda: cb.iterate_layers(_E3, [1.0, NAN]),
     ValueError, ("nan",), allowed=_BETAS)
_add("iterate_layers", "betas", "scalar `1.0`", lambda: cb.iterate_layers(_E3, 1.0),
     ValueError, ("shape ()",), allowed=_BETAS)
_add("iterate_layers", "betas", "2-D `[[1.0]]`", lambda: cb.iterate_layers(_E3, [[1.0]]),
     ValueError, ("(1, 1)",), allowed=_BETAS)
_add("iterate_layers", "betas", "the string `'1'`", lambda: cb.iterate_layers(_E3, "1"),
     TypeError, ("str",), allowed=_BETAS)
_add("iterate_layers", "alpha", "`-1.0`", lambda: cb.iterate_layers(_E3, [1.0], alpha=-1.0),
     ValueError, ("-1.0", "[0, inf)"), allowed="finite real number in [0, inf)")
_add("iterate_layers", "alpha", "`-1.0` with no layers (`betas=[]`)",
     lambda: cb.iterate_layers(_E3, [], alpha=-1.0), ValueError, ("-1.0", "[0, inf)"),
     allowed="finite real number in [0, inf)")

# ---------------------------------------------------------------------------
# simplex closed forms
# ---------------------------------------------------------------------------

_rho("critical_gamma", lambda r: cb.critical_gamma(r))

_scalar("regime", "gamma", lambda g: cb.regime(g, 0.5))
_rho("regime", lambda r: cb.regime(1.0, r), arrays=False)

_N_REAL = "finite real number or array >= 1 (need not be an integer; up to 1e300)"
for _name, _fn in [
    ("simplex_self_weight", lambda n=10.0, b=1.0, r=0.5: cb.simplex_self_weight(n, b, r)),
    ("simplex_layer", lambda n=10.0, b=1.0, r=0.5, q=1.0, a=0.0: cb.simplex_layer(n, b, r, q, a)),
    ("simplex_angle_ratio",
     lambda n=10.0, b=1.0, r=0.5, q=1.0, a=0.0: cb.simplex_angle_ratio(n, b, r, q, a)),
]:
    _scalar(_name, "n", lambda v, f=_fn: f(n=v), low=1.0, arrays=True, allowed=_N_REAL)
    _scalar(_name, "beta", lambda v, f=_fn: f(b=v), arrays=True)
    _rho(_name, lambda v, f=_fn: f(r=v))
    if _name != "simplex_self_weight":
        _scalar(_name, "q", lambda v, f=_fn: f(q=v), low_open=True, arrays=True)
        _scalar(_name, "alpha", lambda v, f=_fn: f(a=v), arrays=True)
    _add(_name, "beta", "shape (3,) with `n` of shape (2,) (not broadcastable)",
         lambda f=_fn: f(n=np.array([10.0, 20.0]), b=np.array([1.0, 2.0, 3.0])), ValueError,
         ("(2,)", "(3,)"), allowed="arrays broadcastable against each other")

_scalar("simplex_limit", "gamma", lambda g: cb.simplex_limit(g, 0.5), arrays=True)
_rho("simplex_limit", lambda r: cb.simplex_limit(1.0, r), open_zero=True)
_scalar("simplex_limit", "q", lambda q: cb.simplex_limit(1.0, 0.5, q), low_open=True, arrays=True)
_scalar("simplex_limit", "alpha", lambda a: cb.simplex_limit(1.0, 0.5, 1.0, a), arrays=True)


# ---------------------------------------------------------------------------
# geometry: attention flatness and trajectories
# ---------------------------------------------------------------------------

_tokens("max_attention_weight", lambda X: cb.max_attention_weight(X, 1.0))
_scalar("max_attention_weight", "beta", lambda b: cb.max_attention_weight(_E3, b))
_count("max_attention_weight", "block", lambda b: cb.max_attention_weight(_E3, 1.0, block=b),
       allowed="integer >= 1, or None")

_real("sphere_attention_prediction", "n", lambda v: cb.sphere_attention_prediction(v, 1.0, 3),
      low=1.0, arrays=True, allowed=_N_REAL)
_real("sphere_attention_prediction", "beta",
      lambda v: cb.sphere_attention_prediction(10.0, v, 3), low=0.0, high=1e4)
_count("sphere_attention_prediction", "d", lambda v: cb.sphere_attention_prediction(10.0, 1.0, v))

_TRAJ = "real 3-D array (layers, n, d), each layer a valid token matrix with n >= 2"
_add("collapse_metrics", "trajectory", "2-D array `np.eye(3)`",
     lambda: cb.collapse_metrics(_E3), ValueError, ("(3, 3)",), allowed=_TRAJ)
_add("collapse_metrics", "trajectory", "the string `'abc'`",
     lambda: cb.collapse_metrics("abc"), TypeError, ("str",), allowed=_TRAJ)
_add("collapse_metrics", "trajectory", "`None`",
     lambda: cb.collapse_metrics(None), TypeError, ("NoneType",), allowed=_TRAJ)
_add("collapse_metrics", "trajectory", "a NaN entry",
     lambda: cb.collapse_metrics(np.where(np.eye(3) == 1, NAN, 0.5)[None]), ValueError,
     ("nan",), allowed=_TRAJ, fragment="trajectory")
_add("collapse_metrics", "trajectory", "layers of one token, shape (2, 1, 3)",
     lambda: cb.collapse_metrics(np.ones((2, 1, 3))), ValueError, ("n = 1",), allowed=_TRAJ,
     fragment="trajectory")
_add("collapse_metrics", "trajectory", "complex array",
     lambda: cb.collapse_metrics(np.ones((2, 3, 3)) + 1j), TypeError, ("complex",),
     allowed=_TRAJ, fragment="trajectory")

_tokens("cluster_count", lambda X: cb.cluster_count(X))
_real("cluster_count", "angle", lambda v: cb.cluster_count(_E3, v), low=0.0, low_open=True,
      high=float(np.pi), allowed="finite real number in (0, pi] (radians)")
_count("cluster_count", "block", lambda b: cb.cluster_count(_E3, block=b),
       allowed="integer >= 1, or None")

_count("iterate_layers", "block", lambda b: cb.iterate_layers(_E3, [1.0], block=b),
       allowed="integer >= 1, or None")

# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

_tokens("layer_jacobian", lambda X: cb.layer_jacobian(X, 1.0))
_scalar("layer_jacobian", "beta", lambda b: cb.layer_jacobian(_E3, b))
_scalar("layer_jacobian", "alpha", lambda a: cb.layer_jacobian(_E3, 1.0, a))
_add("layer_jacobian", "X", "n * d = 4225 entries, shape (65, 65)",
     lambda: cb.layer_jacobian(np.eye(65), 1.0), ValueError, ("4225", "4096"),
     allowed="n * d <= 4096 (the Jacobian is (n d)-by-(n d))")

_tokens("finite_difference_jacobian", lambda X: cb.finite_difference_jacobian(X, 1.0))
_scalar("finite_difference_jacobian", "beta", lambda b: cb.finite_difference_jacobian(_E3, b))
_scalar("finite_difference_jacobian", "alpha",
        lambda a: cb.finite_difference_jacobian(_E3, 1.0, a))
_real("finite_difference_jacobian", "h", lambda v: cb.finite_difference_jacobian(_E3, 1.0, 0.0, v),
      low=0.0, low_open=True, allowed="finite real number > 0, small against every token norm")
_add("finite_difference_jacobian", "X", "n * d = 4225 entries, shape (65, 65)",
     lambda: cb.finite_difference_jacobian(np.eye(65), 1.0), ValueError, ("4225", "4096"),
     allowed="n * d <= 4096 (the Jacobian is (n d)-by-(n d))")
_add("finite_difference_jacobian", "h", "`1.0` for unit tokens (a step turns a token to zero)",
     lambda: cb.finite_difference_jacobian(_E3, 1.0, 0.0, 1.0), ValueError, ("1.0",),
     allowed="finite real number > 0, below half the smallest token norm")

_V = "real array of the shape of X, (n, d), or a stack (p, n, d); finite"
_tokens("jvp", lambda X: cb.jvp(X, 1.0, np.ones((2, 2))))
_scalar("jvp", "beta", lambda b: cb.jvp(_E3, b, _E3))
_scalar("jvp", "alpha", lambda a: cb.jvp(_E3, 1.0, _E3, a))
_count("jvp", "block", lambda b: cb.jvp(_E3, 1.0, _E3, block=b),
       allowed="integer >= 1, or None")
_add("jvp", "V", "shape (3, 2) for X of shape (3, 3)", lambda: cb.jvp(_E3, 1.0, np.ones((3, 2))),
     ValueError, ("(3, 2)", "(3, 3)"), allowed=_V)
_add("jvp", "V", "shape (2, 2, 3, 3) (4-D)", lambda: cb.jvp(_E3, 1.0, np.ones((2, 2, 3, 3))),
     ValueError, ("(2, 2, 3, 3)",), allowed=_V)
_add("jvp", "V", "1-D `np.ones(9)`", lambda: cb.jvp(_E3, 1.0, np.ones(9)),
     ValueError, ("(9,)",), allowed=_V)
_add("jvp", "V", "a NaN entry", lambda: cb.jvp(_E3, 1.0, np.where(_E3 == 1, NAN, 0.0)),
     ValueError, ("nan",), allowed=_V)
_add("jvp", "V", "complex array", lambda: cb.jvp(_E3, 1.0, _E3 + 1j), TypeError,
     ("complex",), allowed=_V)
_add("jvp", "V", "the string `'v'`", lambda: cb.jvp(_E3, 1.0, "v"), TypeError, ("str",),
     allowed=_V)

_tokens("eta", lambda X: cb.eta(X, 1.0))
_scalar("eta", "beta", lambda b: cb.eta(_E3, b))
_scalar("eta", "alpha", lambda a: cb.eta(_E3, 1.0, a))
_count("eta", "block", lambda b: cb.eta(_E3, 1.0, block=b), allowed="integer >= 1, or None")
_add("eta", "beta", "`2e6` (beyond the exact formula's accuracy)",
     lambda: cb.eta(_E3, 2e6), ValueError, ("beta",), allowed="finite real number in [0, 1e6]")
_add("eta", "X", "n = 4097 tokens", lambda: cb.eta(np.ones((4097, 1)), 1.0), ValueError,
     ("4097", "4096"), allowed="at most 4096 rows (use eta_hutchinson for more)")

_tokens("eta_hutchinson", lambda X: cb.eta_hutchinson(X, 1.0, probes=2, rng=0))
_scalar("eta_hutchinson", "beta", lambda b: cb.eta_hutchinson(_E3, b, probes=2, rng=0))
_scalar("eta_hutchinson", "alpha", lambda a: cb.eta_hutchinson(_E3, 1.0, a, probes=2, rng=0))
_count("eta_hutchinson", "probes", lambda v: cb.eta_hutchinson(_E3, 1.0, probes=v, rng=0))
_count("eta_hutchinson", "batch", lambda v: cb.eta_hutchinson(_E3, 1.0, probes=2, rng=0, batch=v))
_count("eta_hutchinson", "block",
       lambda v: cb.eta_hutchinson(_E3, 1.0, probes=2, rng=0, block=v),
       allowed="integer >= 1, or None")
_rng("eta_hutchinson", lambda g: cb.eta_hutchinson(_E3, 1.0, probes=2, rng=g))
_flag("eta_hutchinson", "return_std",
      lambda v: cb.eta_hutchinson(_E3, 1.0, probes=2, rng=0, return_std=v))

_EPD = dict(rhos=[0.5], gammas=[1.0], n=8, d=4, rng=0, probes=2)


def _epd(**kw: Any) -> Any:
    return cb.eta_phase_diagram(**{**_EPD, **kw})


_vector("eta_phase_diagram", "rhos", lambda v: _epd(rhos=v), high=1.0, high_open=True)
_vector("eta_phase_diagram", "gammas", lambda v: _epd(gammas=v))
_count("eta_phase_diagram", "n", lambda v: _epd(n=v), low=2)
_count("eta_phase_diagram", "d", lambda v: _epd(d=v))
_count("eta_phase_diagram", "probes", lambda v: _epd(probes=v))
_count("eta_phase_diagram", "batch", lambda v: _epd(batch=v))
_count("eta_phase_diagram", "rows", lambda v: _epd(rows=v),
       allowed="integer in [1, n], or None")
_add("eta_phase_diagram", "rows", "`9` with n = 8", lambda: _epd(rows=9), ValueError,
     ("9", "n = 8"), allowed="integer in [1, n], or None")
_scalar("eta_phase_diagram", "alpha", lambda a: _epd(alpha=a))
_rng("eta_phase_diagram", lambda g: _epd(rng=g))
_choice("eta_phase_diagram", "method", lambda v: _epd(method=v), ("hutchinson", "exact"))
_add("eta_phase_diagram", "method", "`'exact'` with n = 4097",
     lambda: _epd(method="exact", n=4097), ValueError, ("4097", "4096"),
     allowed="`'exact'` only for n <= 4096")
_flag("eta_phase_diagram", "return_std", lambda v: _epd(return_std=v))
_dtype("eta_phase_diagram", lambda v: _epd(dtype=v))

for _name, _fn in [
    ("simplex_eta", lambda n=10.0, b=1.0, r=0.5, q=1.0, a=0.0, d=None:
        cb.simplex_eta(n, b, r, q, a, d)),
]:
    _scalar(_name, "n", lambda v, f=_fn: f(n=v), low=1.0, arrays=True, allowed=_N_REAL)
    _scalar(_name, "beta", lambda v, f=_fn: f(b=v), arrays=True)
    _rho(_name, lambda v, f=_fn: f(r=v))
    _scalar(_name, "q", lambda v, f=_fn: f(q=v), low_open=True, arrays=True)
    _scalar(_name, "alpha", lambda v, f=_fn: f(a=v), arrays=True)
    _real(_name, "d", lambda v, f=_fn: f(d=v), low=1.0, arrays=True, none_ok=True,
          allowed="finite real number or array >= n, or None (then n + 1)")
    _add(_name, "d", "`5` with n = 10", lambda f=_fn: f(d=5.0), ValueError, ("5", "10"),
         allowed="finite real number or array >= n, or None (then n + 1)")

_scalar("simplex_eta_limit", "gamma", lambda v: cb.simplex_eta_limit(v, 0.5), arrays=True)
_rho("simplex_eta_limit", lambda v: cb.simplex_eta_limit(1.0, v))
_scalar("simplex_eta_limit", "q", lambda v: cb.simplex_eta_limit(1.0, 0.5, v), low_open=True,
        arrays=True)
_real("simplex_eta_limit", "d", lambda v: cb.simplex_eta_limit(1.0, 0.5, 1.0, v), low=1.0,
      arrays=True, none_ok=True,
      allowed="finite real number or array >= 1, or None (1/d read as 0)")
_scalar("simplex_eta_limit", "alpha", lambda v: cb.simplex_eta_limit(1.0, 0.5, 1.0, None, v),
        arrays=True)

# ---------------------------------------------------------------------------
# phase
# ---------------------------------------------------------------------------

_PD = dict(rhos=[0.5], gammas=[1.0], n=8, d=4, rng=0)


def _pd(**kw: Any) -> Any:
    return cb.phase_diagram(**{**_PD, **kw})


_vector("phase_diagram", "rhos", lambda v: _pd(rhos=v), high=1.0, high_open=True)
_vector("phase_diagram", "gammas", lambda v: _pd(gammas=v))
_count("phase_diagram", "n", lambda v: _pd(n=v), low=2)
_add("phase_diagram", "n", "`10**9` (too long for a grid)", lambda: _pd(n=10**9), ValueError,
     ("1000000000",), allowed="integer in [2, MAX_PHASE_N]")
_count("phase_diagram", "d", lambda v: _pd(d=v))
_count("phase_diagram", "draws", lambda v: _pd(draws=v))
_count("phase_diagram", "rows", lambda v: _pd(rows=v), low=2,
       allowed="integer in [2, n], or None")
_add("phase_diagram", "rows", "`9` with n = 8", lambda: _pd(rows=9), ValueError,
     ("9", "n = 8"), allowed="integer in [2, n], or None")
_scalar("phase_diagram", "alpha", lambda a: _pd(alpha=a))
_rng("phase_diagram", lambda g: _pd(rng=g))
_PM = "one of critbook.sweeps.PHASE_METRICS (e.g. `'angle_ratio'`) or a sequence of them"
_add("phase_diagram", "metric", "`'bogus'`", lambda: _pd(metric="bogus"), ValueError,
     ("'bogus'", "angle_ratio"), allowed=_PM)
_add("phase_diagram", "metric", "`[]` (no metric)", lambda: _pd(metric=[]), ValueError,
     ("[]", "angle_ratio"), allowed=_PM)
_add("phase_diagram", "metric", "the integer `3`", lambda: _pd(metric=3), ValueError,
     ("3", "angle_ratio"), allowed=_PM)
_dtype("phase_diagram", lambda v: _pd(dtype=v))

_tokens("top_mass_count", lambda X: cb.top_mass_count(X, 1.0))
_scalar("top_mass_count", "beta", lambda b: cb.top_mass_count(_E3, b))
_real("top_mass_count", "mass", lambda v: cb.top_mass_count(_E3, 1.0, v), low=0.0, high=1.0,
      low_open=True, high_open=True)
_count("top_mass_count", "rows", lambda v: cb.top_mass_count(_E3, 1.0, rows=v),
       allowed="integer in [1, n], or None")
_add("top_mass_count", "rows", "`4` with n = 3", lambda: cb.top_mass_count(_E3, 1.0, rows=4),
     ValueError, ("4", "n = 3"), allowed="integer in [1, n], or None")
_count("top_mass_count", "block", lambda v: cb.top_mass_count(_E3, 1.0, block=v),
       allowed="integer >= 1, or None")

_SS = dict(ns=[10], gammas=[1.0], d=4, rho=0.5, rows=4, rng=0)


def _ss(**kw: Any) -> Any:
    return cb.sparsity_sweep(**{**_SS, **kw})


_vector("sparsity_sweep", "ns", lambda v: _ss(ns=v), low=1.0)
_add("sparsity_sweep", "ns", "`[10.5]` (not an integer)", lambda: _ss(ns=[10.5]), ValueError,
     ("10.5",), allowed="a non-empty 1-D sequence of integers >= rows")
_add("sparsity_sweep", "ns", "`[3]` with rows = 4", lambda: _ss(ns=[3]), ValueError,
     ("3", "4"), allowed="a non-empty 1-D sequence of integers >= rows")
_vector("sparsity_sweep", "gammas", lambda v: _ss(gammas=v))
_count("sparsity_sweep", "d", lambda v: _ss(d=v))
_rho("sparsity_sweep", lambda v: _ss(rho=v), arrays=False)
_real("sparsity_sweep", "mass", lambda v: _ss(mass=v), low=0.0, high=1.0, low_open=True,
      high_open=True)
_count("sparsity_sweep", "rows", lambda v: _ss(rows=v))
_choice("sparsity_sweep", "statistic", lambda v: _ss(statistic=v), ("median", "mean"))
_rng("sparsity_sweep", lambda g: _ss(rng=g))

_scalar("approach_exponent", "gamma", lambda v: cb.approach_exponent(v, 0.5), arrays=True)
_rho("approach_exponent", lambda v: cb.approach_exponent(1.0, v))
_scalar("approach_exponent", "alpha", lambda v: cb.approach_exponent(1.0, 0.5, v), arrays=True)
_choice("approach_exponent", "quantity", lambda v: cb.approach_exponent(1.0, 0.5, quantity=v),
        ("angle_ratio", "rho_out", "self_weight"))

# ---------------------------------------------------------------------------
# scaling in practice
# ---------------------------------------------------------------------------

_POS = "finite real number or array >= 1 (a length or position)"
_real("yarn_factor", "n", lambda v: cb.yarn_factor(v, 4096), low=1.0, arrays=True, allowed=_POS)
_real("yarn_factor", "original_length", lambda v: cb.yarn_factor(10.0, v), low=1.0)
_real("qwen_logn_factor", "n", lambda v: cb.qwen_logn_factor(v), low=1.0, arrays=True,
      allowed=_POS)
_real("qwen_logn_factor", "train_length", lambda v: cb.qwen_logn_factor(10.0, v), low=1.0,
      low_open=True)
_real("llama4_factor", "n", lambda v: cb.llama4_factor(v), low=1.0, arrays=True, allowed=_POS)
_real("llama4_factor", "floor_scale", lambda v: cb.llama4_factor(10.0, v), low=1.0)
_real("llama4_factor", "attn_scale", lambda v: cb.llama4_factor(10.0, 8192, v), low=0.0)
_real("ssmax_factor", "n", lambda v: cb.ssmax_factor(v), low=1.0, arrays=True, allowed=_POS)
_real("ssmax_factor", "s", lambda v: cb.ssmax_factor(10.0, v), low=0.0)

_real("practical_rules", "yarn_length", lambda v: cb.practical_rules(yarn_length=v), low=1.0)
_real("practical_rules", "qwen_length", lambda v: cb.practical_rules(qwen_length=v), low=1.0,
      low_open=True)
_real("practical_rules", "ssmax_s", lambda v: cb.practical_rules(ssmax_s=v), low=0.0)

_real("effective_gamma", "beta", lambda v: cb.effective_gamma(v, 10.0), arrays=True)
_real("effective_gamma", "n", lambda v: cb.effective_gamma(1.0, v), low=1.0, low_open=True,
      arrays=True)
_real("critical_beta", "n", lambda v: cb.critical_beta(v, 0.5), low=1.0, arrays=True,
      allowed=_POS)
_rho("critical_beta", lambda v: cb.critical_beta(10.0, v))

_rule("calibrated_ratio", "rule", lambda r: cb.calibrated_ratio(r, 10.0, 100.0))
_real("calibrated_ratio", "n", lambda v: cb.calibrated_ratio(cb.ssmax_factor, v, 100.0), low=1.0,
      low_open=True, arrays=True)
_real("calibrated_ratio", "calibration_length",
      lambda v: cb.calibrated_ratio(cb.ssmax_factor, 10.0, v), low=1.0, low_open=True)


def _twice_log(n: Any) -> Any:
    return 2.0 * np.log(n)


_rule("regime_segments", "beta_fn", lambda r: cb.regime_segments(r, 0.5, n_max=1e6, num=50))
_rho("regime_segments", lambda v: cb.regime_segments(_twice_log, v, n_max=1e6, num=50),
     arrays=False)
_real("regime_segments", "n_min", lambda v: cb.regime_segments(_twice_log, 0.5, v, 1e6, num=50),
      low=1.0, low_open=True)
_add("regime_segments", "n_max", "`10` with n_min = 100",
     lambda: cb.regime_segments(_twice_log, 0.5, 100.0, 10.0, num=50), ValueError,
     ("10.0", "(100, inf)"), allowed="finite real number > n_min")
_add("regime_segments", "n_max", "`nan`",
     lambda: cb.regime_segments(_twice_log, 0.5, 2.0, NAN, num=50), ValueError,
     ("nan",), allowed="finite real number > n_min")
_add("regime_segments", "n_max", "`inf`",
     lambda: cb.regime_segments(_twice_log, 0.5, 2.0, INF, num=50), ValueError,
     ("inf",), allowed="finite real number > n_min")
_count("regime_segments", "num", lambda v: cb.regime_segments(_twice_log, 0.5, n_max=1e6, num=v),
       low=2)

_real("gaussian_top_scores", "n", lambda v: cb.gaussian_top_scores(v, 2, rng=0), low=2.0,
      allowed="finite real number >= k")
_count("gaussian_top_scores", "k", lambda v: cb.gaussian_top_scores(100.0, v, rng=0))
_count("gaussian_top_scores", "size", lambda v: cb.gaussian_top_scores(100.0, 2, v, rng=0))
_rng("gaussian_top_scores", lambda g: cb.gaussian_top_scores(100.0, 2, rng=g))

_real("sphere_top_distances", "n", lambda v: cb.sphere_top_distances(v, 3, 2, rng=0), low=2.0,
      allowed="finite real number >= k")
_count("sphere_top_distances", "d", lambda v: cb.sphere_top_distances(100.0, v, rng=0), low=2)
_count("sphere_top_distances", "k", lambda v: cb.sphere_top_distances(100.0, 3, v, rng=0))
_count("sphere_top_distances", "size", lambda v: cb.sphere_top_distances(100.0, 3, 2, v, rng=0))
_rng("sphere_top_distances", lambda g: cb.sphere_top_distances(100.0, 3, rng=g))

_TG = dict(ns=[100.0], ds=(3,), rho=0.5, size=10, rng=0)


def _tg(**kw: Any) -> Any:
    return cb.top_gaps(**{**_TG, **kw})


_real("top_gaps", "ns", lambda v: _tg(ns=v), low=2.0, arrays=True)
_count("top_gaps", "ds", lambda v: _tg(ds=(v,)), low=2,
       allowed="integers >= 2 (a number or a sequence)")
_rho("top_gaps", lambda v: _tg(rho=v), arrays=False)
_count("top_gaps", "size", lambda v: _tg(size=v))
_rng("top_gaps", lambda g: _tg(rng=g))

_XD = cb.gaussian_tokens(20, 4, 0.3, rng=0)


def _dg(**kw: Any) -> Any:
    return cb.diagnose(**{**dict(X=_XD, beta=1.0, rng=0, queries=10, pairs=50), **kw})


_tokens("diagnose", lambda X: _dg(X=X))
_add("diagnose", "X", "a single token, shape (1, 3)", lambda: _dg(X=np.ones((1, 3))),
     ValueError, ("n = 1", "n >= 2"), allowed="at least 2 rows")
_scalar("diagnose", "beta", lambda v: _dg(beta=v))
_rng("diagnose", lambda g: _dg(rng=g))
_count("diagnose", "queries", lambda v: _dg(queries=v))
_count("diagnose", "pairs", lambda v: _dg(pairs=v))
_QL = "two levels (low, high) with 0 <= low <= high <= 1"
_add("diagnose", "quantiles", "`(0.9, 0.1)` (decreasing)", lambda: _dg(quantiles=(0.9, 0.1)),
     ValueError, ("0.9",), allowed=_QL)
_add("diagnose", "quantiles", "`(0.1, 1.5)`", lambda: _dg(quantiles=(0.1, 1.5)),
     ValueError, ("1.5", "[0, 1]"), allowed=_QL)
_add("diagnose", "quantiles", "three levels `(0.1, 0.5, 0.9)`",
     lambda: _dg(quantiles=(0.1, 0.5, 0.9)), ValueError, ("0.5",), allowed=_QL)
_add("diagnose", "quantiles", "`(0.1, nan)`", lambda: _dg(quantiles=(0.1, NAN)),
     ValueError, ("nan",), allowed=_QL)


# ---------------------------------------------------------------------------
# The "Allowed values" lines of the API reference
# ---------------------------------------------------------------------------


def allowed_values() -> dict[str, list[tuple[str, str]]]:
    """The allowed values of each checked argument, by function: ``{function: [(argument, text)]}``.

    Functions in the order of their first row, arguments in the order of the
    function's signature; an argument with several rows (a family's check and a
    limit of the function's own) gets their texts joined by ``"; "``.
    """
    texts: dict[str, dict[str, list[str]]] = {}
    for c in CASES:
        texts.setdefault(c.function, {}).setdefault(c.argument, [])
        if c.allowed and c.allowed not in texts[c.function][c.argument]:
            texts[c.function][c.argument].append(c.allowed)
    result = {}
    for function, arguments in texts.items():
        order = list(inspect.signature(getattr(cb, function)).parameters)
        names = sorted(arguments, key=lambda a: order.index(a) if a in order else len(order))
        result[function] = [(a, "; ".join(arguments[a])) for a in names if arguments[a]]
    return result


def _rst_inline(text: str) -> str:
    """Markdown-style text (`code` in single backticks) as reStructuredText inline markup."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # inside backticks
            out.append(f"``{part}``")
        else:
            out.append(re.sub(r"([\\*_|`<>\[\]])", r"\\\1", part))
    return "".join(out)


def allowed_rst(function: str) -> list[str]:
    """The "Allowed values" block of ``function`` as reStructuredText lines (empty if none).

    A rubric and a bullet list, one item per argument: ``X``: what the
    argument accepts. The API page's directive (``tools/critbook_api.py``)
    inserts it into the function's entry, before its examples.
    """
    rows = allowed_values().get(function, [])
    if not rows:
        return []
    lines = [".. rubric:: Allowed values", "", ".. container:: critbook-allowed", ""]
    for argument, text in rows:
        lines.append(f"   - ``{argument}``: {_rst_inline(text)}")
    lines.append("")
    return lines


# --- added for issue 12: depth and the role of the dimension
_real("simplex_depth", "rho", lambda r: cb.simplex_depth(r, 2), low=0.0, high=1.0,
      low_open=True, high_open=True)
_count("simplex_depth", "layers", lambda k: cb.simplex_depth(0.3, k), low=0)
_real("simplex_depth", "n", lambda n: cb.simplex_depth(0.3, 2, n=n), low=2.0, none_ok=True)
_add("simplex_depth", "gamma", "`-1.0`", lambda: cb.simplex_depth(0.3, 2, gamma=-1.0),
     ValueError, ("-1.0",), allowed="finite real number >= 0, or `'critical'`")
_add("simplex_depth", "gamma", "`nan`", lambda: cb.simplex_depth(0.3, 2, gamma=NAN),
     ValueError, ("nan",), allowed="finite real number >= 0, or `'critical'`")
_add("simplex_depth", "gamma", "`'bogus'`", lambda: cb.simplex_depth(0.3, 2, gamma="bogus"),
     ValueError, ("'bogus'", "critical"), allowed="finite real number >= 0, or `'critical'`")
_scalar("simplex_depth", "alpha", lambda a: cb.simplex_depth(0.3, 2, alpha=a))
_scalar("simplex_depth", "q", lambda q: cb.simplex_depth(0.3, 2, q=q), low_open=True)
_rho("critical_depth_closed_form", lambda r: cb.critical_depth_closed_form(r, 2))
_scalar("critical_depth_closed_form", "layers",
        lambda k: cb.critical_depth_closed_form(0.3, k), arrays=True)
_real("cap_fraction", "angle", lambda a: cb.cap_fraction(a, 3), low=0.0, high=np.pi / 2,
      arrays=True)
_scalar("cap_fraction", "d", lambda d: cb.cap_fraction(0.5, d), low=2.0, arrays=True)
_scalar("packing_dimension", "n", lambda n: cb.packing_dimension(n, 0.5), low=2.0,
        arrays=True)
_rho("packing_dimension", lambda r: cb.packing_dimension(100, r), argument="rho2")


# --- added for issue 15: real attention heads (critbook.heads)
EXEMPT["HeadDiagnosis"] = "a plain record of per-head arrays returned by diagnose_heads"

_QH = np.random.default_rng(0).standard_normal((2, 8, 3))
_KH = np.random.default_rng(1).standard_normal((2, 8, 3))
_HEADS = "real array of shape (heads, n, d) or (n, d), finite, n >= 2, Q and K alike"


def _dh(**kw: Any) -> Any:
    return cb.diagnose_heads(**{**dict(Q=_QH, K=_KH), **kw})


def _ha(**kw: Any) -> Any:
    return cb.head_attention(**{**dict(Q=_QH, K=_KH), **kw})


for _arg in ("Q", "K"):
    def _hq(value: Any, _arg: str = _arg) -> Any:
        return _dh(**{_arg: value})

    _add("diagnose_heads", _arg, "1-D array `np.ones(3)`", lambda f=_hq: f(np.ones(3)),
         ValueError, ("(3,)",), allowed=_HEADS)
    _add("diagnose_heads", _arg, "4-D array, shape (1, 2, 8, 3)",
         lambda f=_hq: f(np.ones((1, 2, 8, 3))), ValueError, ("(1, 2, 8, 3)",), allowed=_HEADS)
    _add("diagnose_heads", _arg, "a NaN entry",
         lambda f=_hq: f(np.where(np.arange(48).reshape(2, 8, 3) == 5, NAN, 1.0)),
         ValueError, ("nan",), allowed=_HEADS)
    _add("diagnose_heads", _arg, "an inf entry",
         lambda f=_hq: f(np.where(np.arange(48).reshape(2, 8, 3) == 7, INF, 1.0)),
         ValueError, ("inf",), allowed=_HEADS)
    _add("diagnose_heads", _arg, "complex array", lambda f=_hq: f(np.ones((2, 8, 3)) + 1j),
         TypeError, ("complex",), allowed=_HEADS)
    _add("diagnose_heads", _arg, "`None`", lambda f=_hq: f(None), TypeError, ("None",),
         allowed=_HEADS)
    _add("diagnose_heads", _arg, "ragged nested list", lambda f=_hq: f([[1.0, 2.0], [3.0]]),
         TypeError, ("convert",), allowed=_HEADS)
_add("diagnose_heads", "K", "shape (2, 8, 4), Q has (2, 8, 3)",
     lambda: _dh(K=np.ones((2, 8, 4))), ValueError, ("(2, 8, 4)", "(2, 8, 3)"), allowed=_HEADS)
_add("diagnose_heads", "Q", "one token, shape (2, 1, 3) for Q and K",
     lambda: _dh(Q=np.ones((2, 1, 3)), K=np.ones((2, 1, 3))), ValueError, ("n = 1", "n >= 2"),
     allowed=_HEADS)
_real("diagnose_heads", "scale", lambda v: _dh(scale=v), none_ok=True)
_add("diagnose_heads", "scale", "`1e300` (logits overflow)", lambda: _dh(scale=1e300),
     ValueError, ("1e+300",), allowed="finite real number >= 0 keeping the logits finite")
_MASK = "None, `'causal'`, or a boolean array of shape (n,) keeping at least 2 tokens"
_add("diagnose_heads", "mask", "`'future'`", lambda: _dh(mask="future"), ValueError,
     ("'future'", "causal"), allowed=_MASK)
_add("diagnose_heads", "mask", "shape (9,) for n = 8", lambda: _dh(mask=np.ones(9, bool)),
     ValueError, ("(9,)", "(8,)"), allowed=_MASK)
_add("diagnose_heads", "mask", "an integer array `np.ones(8, int)`",
     lambda: _dh(mask=np.ones(8, int)), TypeError, ("int64",), allowed=_MASK)
_add("diagnose_heads", "mask", "all False (every row empty)", lambda: _dh(mask=np.zeros(8, bool)),
     ValueError, ("keeps 0",), allowed=_MASK)
_add("diagnose_heads", "mask", "one True (a single key)",
     lambda: _dh(mask=np.arange(8) == 3), ValueError, ("keeps 1",), allowed=_MASK)
# head_attention validates through the same code: one row per argument.
_add("head_attention", "Q", "1-D array `np.ones(3)`", lambda: _ha(Q=np.ones(3)), ValueError,
     ("(3,)",), allowed=_HEADS)
_add("head_attention", "K", "shape (2, 8, 4), Q has (2, 8, 3)",
     lambda: _ha(K=np.ones((2, 8, 4))), ValueError, ("(2, 8, 4)", "(2, 8, 3)"), allowed=_HEADS)
_add("head_attention", "scale", "`-1.0`", lambda: _ha(scale=-1.0), ValueError, ("-1.0",),
     allowed="finite real number >= 0 keeping the logits finite")
_add("head_attention", "mask", "`'future'`", lambda: _ha(mask="future"), ValueError,
     ("'future'",), allowed=_MASK)
_add("head_attention", "Q", "n = 8193 tokens (dense limit 8192)",
     lambda: _ha(Q=np.ones((8193, 1)), K=np.ones((8193, 1))), ValueError, ("8193", "8192"),
     allowed=_HEADS + ", n <= 8192")


def _evg(**kw: Any) -> Any:
    return cb.entropy_vs_gap(**{**dict(n=64, gap=[0.5, 1.0]), **kw})


_count("entropy_vs_gap", "n", lambda v: _evg(n=v), low=2)
_vector("entropy_vs_gap", "gap", lambda v: _evg(gap=v))
_choice("entropy_vs_gap", "model", lambda v: _evg(model=v), ("simplex", "gaussian"))
_count("entropy_vs_gap", "rows", lambda v: _evg(model="gaussian", rows=v))
_rng("entropy_vs_gap", lambda g: _evg(model="gaussian", rng=g))
