"""Internal links of the built site: linkchecker finds no broken link (no network used).

linkchecker checks internal URLs only by default (links to other sites are listed, not fetched),
crawling the site served on 127.0.0.1 from its home page. Links to missing anchors inside pages
are not checked here (slow); Sphinx's nitpicky build already rejects unresolved references.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

# No throttling of requests to our own server (it also sends a "LinkChecker" header for that).
CONFIG = """[checking]
maxrequestspersecond=1000
threads=4
"""


def test_no_broken_internal_links(site: Path, site_url: str) -> None:
    linkchecker = Path(sys.executable).with_name("linkchecker")
    assert linkchecker.is_file(), "linkchecker is missing: pip install -r requirements-dev.txt"
    # Run as root, linkchecker drops privileges to `nobody`, so its configuration file must be
    # readable by everyone (pytest's tmp_path is private to root).
    folder = tempfile.mkdtemp(prefix="critbook-linkcheck-")
    try:
        os.chmod(folder, 0o755)
        config = Path(folder) / "linkcheckerrc"
        config.write_text(CONFIG)
        config.chmod(0o644)
        result = subprocess.run(
            [str(linkchecker), "--no-status", "--config", str(config), site_url],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        for f in Path(folder).iterdir():
            f.unlink()
        os.rmdir(folder)
    output = result.stdout + result.stderr
    summary = re.search(r"(\d+) links? in (\d+) URLs? checked\. .*?(\d+) errors? found", output)
    assert summary, f"unexpected linkchecker output (exit {result.returncode}):\n{output[-4000:]}"
    checked, errors = int(summary.group(2)), int(summary.group(3))
    pages = len([p for p in site.rglob("*.html") if "_static" not in p.parts])
    assert checked >= pages, f"only {checked} URLs checked for {pages} pages:\n{output[-4000:]}"
    assert errors == 0 and result.returncode == 0, output[-8000:]
