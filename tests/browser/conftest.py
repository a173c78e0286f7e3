"""Fixtures for the browser tests of the built site (run by ``make test`` after the strict build).

* The site is ``_build/html`` (or ``$CRITBOOK_SITE`` for a private build dir, e.g.
  ``CRITBOOK_SITE=/tmp/jb-site/_build/html``), served on 127.0.0.1 by a threaded ``http.server``
  on a free port: the tests see it as a reader would, not through ``file://``.
* The browser is Debian's Chromium (``apt-get install chromium``), driven by Playwright.
  Playwright's own browser downloads are never used (``playwright install`` needs the
  internet). Locally a missing Chromium skips the tests with a message; under ``CI=true`` it is a
  failure.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

# Flags for a headless, sandbox-free (we run as root), offline Chromium: the background-networking
# flags stop Chromium's own calls home, which would otherwise fail on a machine with no internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # Also registered here so that the markers are known even if pyproject.toml does not list them.
    config.addinivalue_line("markers", "browser: tests of the built site in headless Chromium")
    config.addinivalue_line(
        "markers", "binder: runs every chapter in a fresh virtualenv made from requirements.txt"
    )


def site_dir() -> Path:
    """The built HTML site under test."""
    return Path(os.environ.get("CRITBOOK_SITE", ROOT / "_build" / "html")).resolve()


def chromium_path() -> str | None:
    """Debian's Chromium, or the browser named by ``$CRITBOOK_CHROMIUM``."""
    explicit = os.environ.get("CRITBOOK_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _missing(message: str) -> None:
    """Skip locally, fail in CI (where .ci/run installs everything the tests need)."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options, pointed at the system Chromium."""
    executable = chromium_path()
    if executable is None:
        _missing(
            "Chromium not found at /usr/bin/chromium: install it with "
            "`sudo apt-get install chromium` (Debian/Ubuntu) or set "
            "CRITBOOK_CHROMIUM=/path/to/chrome. "
            "Do not run `playwright install` (it downloads browsers from the internet)."
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        # linkchecker throttles requests to a host (0.1-0.6 s each) unless the server answers
        # with this header; it is harmless for browsers.
        self.send_header("LinkChecker", "local test server")
        super().end_headers()


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site's directory (skips locally / fails in CI when it was not built)."""
    root = site_dir()
    if not (root / "index.html").is_file():
        _missing(f"No built site at {root}: run `make book` first (or set CRITBOOK_SITE).")
    return root


@contextlib.contextmanager
def serve_site(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 on a free port; yield the base URL (ending in /).

    Also used by ``tools/page_weight.py`` and ``benchmarks/live.py``.
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """Base URL (ending in /) of the site served on 127.0.0.1 on a free port."""
    with serve_site(site) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(site_url: str) -> str:
    """pytest-playwright's base URL: the served site.

    Defined here also because pytest-playwright's own fallback fixture (used when pytest-base-url
    is not installed) is a method of a plugin class, which pytest 9 deprecates with a warning,
    and warnings are errors in this project.
    """
    return site_url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots kept after the run (ignored by git); old screenshots are removed."""
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("site-*.png"):
        old.unlink()
    return ARTIFACTS
