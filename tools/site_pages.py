"""The reader's pages of a built site: every HTML page outside the asset folders.

One list for the build step that rewrites the pages (``tools/prerender_math.py``), the page-weight
report (``tools/page_weight.py``) and the browser tests (``tests/browser``).
"""

from __future__ import annotations

from pathlib import Path

#: Folders of a built site that hold assets and sources, not pages.
SKIP_DIRS = frozenset({"_static", "_sources", "_images", "vendor", "_downloads"})


def html_pages(root: Path) -> list[str]:
    """Every HTML page under ``root``, as sorted paths relative to it (none if it is absent)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not SKIP_DIRS.intersection(p.relative_to(root).parts)
    )
