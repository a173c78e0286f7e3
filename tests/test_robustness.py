"""Every row of the input contract (``tests/input_contract.py``), tried.

For each bad input: the call raises exactly the contracted exception type
(``ValueError`` or ``TypeError``, never a bare numpy error of another type and
never a silent result), and the message names the argument (as a whole word)
and shows the value given or the allowed range.

Also checks that the contract covers every argument of every public callable
of ``critbook`` (so that removing one validation call from a public function
makes a row fail), that its Markdown table (rendered on the API page) is well
formed, and the edge cases of the validation helpers themselves.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from docutils import nodes as docutils_nodes
from input_contract import CASES, EXEMPT, Case, allowed_rst, allowed_values

import critbook as cb

INF = float("inf")


def _resolve(function: str):
    obj = cb
    for part in function.split("."):
        obj = getattr(obj, part)
    return obj


def _case_id(case: Case) -> str:
    return f"{case.function}-{case.argument}-{case.bad_value}"


def _params():
    for case in CASES:
        yield pytest.param(case, id=_case_id(case))


def _names_argument(message: str, argument: str) -> bool:
    pattern = rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])"
    return re.search(pattern, message) is not None


@pytest.mark.parametrize("case", list(_params()))
def test_contract_row(case: Case) -> None:
    with pytest.raises(Exception) as info:
        case.call()
    exc = info.value
    # Exactly the contracted type: a ValueError where a TypeError is promised
    # (or numpy's own error) is a contract violation.
    assert type(exc) is case.error or (
        isinstance(exc, case.error) and type(exc).__module__.startswith("critbook")
    ), f"{case.function}({case.argument}={case.bad_value}) raised {type(exc).__name__}: {exc}"
    message = str(exc)
    assert _names_argument(message, case.fragment), (
        f"message does not name {case.fragment!r}: {message!r}"
    )
    assert case.shows, "each row must say what the message shows (value or allowed range)"
    missing = [s for s in case.shows if s not in message]
    assert not missing, f"message {message!r} lacks {missing}"


def test_rows_are_well_formed() -> None:
    assert len(CASES) >= 100
    ids = [_case_id(c) for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate contract rows"
    for case in CASES:
        target = _resolve(case.function)
        assert callable(target), case.function
        if inspect.isfunction(target):
            params = inspect.signature(target).parameters
            assert case.argument in params, (
                f"{case.function} has no argument {case.argument!r}"
            )
        assert case.error in (ValueError, TypeError)
        assert case.allowed, f"{_case_id(case)}: say what is allowed"


def test_every_public_callable_has_a_row() -> None:
    covered = {c.function for c in CASES}
    public = [name for name in cb.__all__ if callable(getattr(cb, name))]
    missing = [n for n in public if n not in covered and n not in EXEMPT]
    assert not missing, (
        f"public callables without a row in tests/input_contract.py: {missing}; add rows "
        "(the bad inputs each argument rejects) or a documented EXEMPT entry"
    )
    stale = [n for n in EXEMPT if n not in cb.__all__]
    assert not stale, f"EXEMPT names no longer public: {stale}"
    for name, reason in EXEMPT.items():
        assert reason.strip(), f"EXEMPT[{name!r}] needs a reason"


def test_every_checked_argument_has_a_row() -> None:
    """Each argument a public function documents as validated appears in the contract."""
    rows = {(c.function, c.argument) for c in CASES}
    missing = []
    for name in cb.__all__:
        fn = getattr(cb, name)
        if name in EXEMPT or not inspect.isfunction(fn):
            continue
        for arg in inspect.signature(fn).parameters:
            if (name, arg) not in rows:
                missing.append(f"{name}({arg})")
    assert not missing, f"arguments without a contract row: {missing}"


def test_allowed_rst() -> None:
    """The "Allowed values" blocks of the API page: valid reST, an item per (function, argument)."""
    from docutils.core import publish_doctree
    from docutils.utils import Reporter

    values = allowed_values()
    assert set(values) == {c.function for c in CASES}
    pairs = {(c.function, c.argument) for c in CASES if c.allowed}
    assert {(f, a) for f, rows in values.items() for a, _ in rows} == pairs
    for function, rows in values.items():
        order = list(inspect.signature(getattr(cb, function)).parameters)
        assert [a for a, _ in rows] == sorted((a for a, _ in rows), key=order.index)
        lines = allowed_rst(function)
        doctree = publish_doctree(
            "\n".join(lines),
            settings_overrides={"report_level": Reporter.SEVERE_LEVEL + 1, "halt_level": 5},
        )
        messages = [m.astext() for m in doctree.findall(docutils_nodes.system_message)]
        assert not messages, (function, messages)
        assert doctree.next_node(docutils_nodes.rubric).astext() == "Allowed values"
        items = list(doctree.findall(docutils_nodes.list_item))
        assert len(items) == len(rows), function
        for item, (argument, text) in zip(items, rows):
            # The rendered item reads as the contract's text, markup removed.
            assert item.astext() == f"{argument}: {text.replace('`', '')}", item.astext()
    assert allowed_rst("no_such_function") == []


# ---------------------------------------------------------------------------
# Validation helpers used by every module: the edge cases of critbook._checks
# ---------------------------------------------------------------------------


def test_checks_accept_good_values() -> None:
    from critbook import _checks as ck

    assert ck.check_real(np.float32(0.5), "x", low=0.0) == 0.5
    assert ck.check_real(np.array(2.0), "x") == 2.0
    assert ck.check_real(3, "x", low=3, high=3) == 3.0
    assert ck.check_int(np.array(4), "n") == 4
    assert ck.check_int(np.int8(4), "n") == 4
    assert ck.check_int(5.0, "n") == 5
    assert ck.check_int(1e300, "n") == int(1e300)
    assert ck.check_int(7, "n", low=1, high=7) == 7
    assert ck.check_rho(0.0) == 0.0
    np.testing.assert_array_equal(ck.check_rho([0.0, 0.5]), [0.0, 0.5])
    np.testing.assert_array_equal(ck.as_real_array([10**30], "n"), [1e30])
    assert ck.as_real_array([], "n").shape == (0,)
    g = np.random.default_rng(1)
    assert ck.as_rng(g) is g
    for seed in (0, np.int64(3), 2**100, [1, 2], np.random.SeedSequence(3),
                 np.random.PCG64(3), np.random.RandomState(0), None):
        assert isinstance(ck.as_rng(seed), np.random.Generator)
    X = ck.as_tokens(np.eye(2, dtype=np.float32))
    assert X.dtype == np.float32
    assert ck.as_tokens([[True, False]]).dtype == np.float64
    assert ck.as_tokens(np.eye(2, dtype=np.int8)).dtype == np.float64
    # Rows at the edge of the allowed norm range are accepted, zero rows where allowed.
    ck.as_tokens(np.array([[1e-150, 0.0], [1e150, 1e150]]))
    ck.as_tokens(np.array([[0.0, 0.0], [1.0, 1.0]]), normalizable=False)
    ck.as_tokens(np.full((2, 2), 1e-150, dtype=np.float32) + 1e-30, normalizable=True)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda ck: ck.check_int(3, "n", low=1, high=2), ValueError,
         r"n must be an integer in \[1, 2\], got 3"),
        (lambda ck: ck.check_int(np.array([3]), "n"), TypeError, r"n must be an integer >= 1"),
        (lambda ck: ck.check_int(INF, "n"), TypeError, r"n must be an integer >= 1, got float inf"),
        (lambda ck: ck.check_real(np.complex128(1 + 2j), "beta"), TypeError, r"beta .*complex"),
        (lambda ck: ck.check_real(np.array(1 + 2j), "beta"), TypeError, r"beta .*complex"),
        (lambda ck: ck.check_real(0.0, "q", low=0.0, low_open=True), ValueError,
         r"q must lie in \(0, inf\), got 0.0"),
        (lambda ck: ck.check_real(1.0000000001, "rho", high=1.0), ValueError,
         r"got 1.0000000001\b"),
        (lambda ck: ck.as_real_array(np.array([1, 2], dtype=object), "n", low=3.0), ValueError,
         r"n must lie in \[3, inf\), got 1.0 \(entry \(0,\)\)"),
        (lambda ck: ck.as_real_array(np.array(["1"], dtype=object), "n"), TypeError, r"\bn\b"),
        (lambda ck: ck.as_real_array([[1.0], [2.0, 3.0]], "n"), TypeError, r"\bn\b"),
        (lambda ck: ck.as_tokens(np.full((1, 2), 1e-39, dtype=np.float32)), ValueError,
         r"X row 0 has norm .* float32"),
        (lambda ck: ck.as_tokens(np.full((1, 4), 3e38, dtype=np.float32)), ValueError,
         r"X row 0 has norm 6e\+38"),
        (lambda ck: ck.as_tokens(np.ones(3), "X_out"), ValueError, r"X_out must be 2-D"),
        (lambda ck: ck.as_rng(True), TypeError, r"rng .*bool"),
        (lambda ck: ck.as_rng(-1), ValueError, r"rng must be .* got -1"),
    ],
)
def test_checks_reject(call, error, pattern) -> None:
    from critbook import _checks as ck

    with pytest.raises(error, match=pattern):
        call(ck)

