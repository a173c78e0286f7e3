"""The ledger page (chapters/ledger.md) names tests that exist, and lists every result."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEDGER = (ROOT / "chapters" / "ledger.md").read_text()


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_named_test_exists():
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", LEDGER)
    assert len(named) > 20
    for file, name in named:
        path = ROOT / file
        assert path.exists(), f"{file} named in the ledger does not exist"
        assert name in _test_functions(path), f"{file}::{name} named in the ledger does not exist"


def test_every_row_has_five_cells_and_a_known_status():
    rows = [line for line in LEDGER.splitlines()
            if line.startswith("| ") and not line.startswith("| Result")]
    assert len(rows) >= 25
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 5, row
        assert cells[1].split(" ")[0] in {"paper", "secondary", "ours"}, row
        assert cells[2].split(":")[0].split(" ")[0] in {"yes", "partly", "no"}, row


def test_the_issue_results_are_listed():
    for result in ("Theorem 2.1, no residual", "Theorem 2.1 with a residual", "Theorem 2.3",
                   "Theorem 2.4", "Theorem 2.5", "Theorem C.2", "Figure 1", "Figure 2",
                   "Convergence rates", "Practical rules"):
        assert f"| {result}" in LEDGER, result
