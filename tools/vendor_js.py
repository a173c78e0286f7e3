"""Serve the site's JavaScript (MathJax, RequireJS, the widget manager, Vega) from the site itself.

By default a Jupyter Book page loads MathJax and the widget JavaScript from CDNs, so with no
internet (a reader offline, a strict firewall, our CI) no equation is typeset and no widget is
drawn. This file does two jobs:

* ``python tools/vendor_js.py`` (run by ``make book`` and ``make test``) takes pinned releases of
  ``mathjax``, ``requirejs``, ``@jupyter-widgets/html-manager`` and, for the live figures of
  :mod:`critbook.live`, ``vega``, ``vega-lite`` and ``vega-embed`` from the npm registry with
  ``npm pack`` and unpacks the files the site needs into ``_vendor/vendor/`` (ignored by git, never
  committed). It is idempotent: a second run with the same pins only checks a stamp file. Without
  npm, or if the registry cannot be reached, it prints a line saying the site falls back to the
  CDNs and exits 0.

* As a Sphinx extension (``sphinx: local_extensions`` in ``_config.yml``) it checks at build time
  that the vendored files are there. ``_config.yml`` points ``mathjax_path`` and
  ``nb_ipywidgets_js`` at them; if they are missing the extension puts the CDN defaults back and
  logs one line, so the built pages never reference files that do not exist. It also repairs
  three script problems of the stack that the browser tests caught: the widget manager looked
  for its fonts under ``chapters/@jupyter-widgets/...`` (a RequireJS path now maps them to
  ``/vendor/``); ipywidgets 8 calls the MathJax 2 API, absent from MathJax 3 (forwarded); and
  sphinx-thebe's inline configuration is emitted twice (``const`` redeclared: deduplicated).
  When the files are there it also sets ``CRITBOOK_LIVE=site`` in the environment, which the
  kernels running the chapters inherit: the live figures of :mod:`critbook.live` are then written
  as HTML that loads Vega, Vega-Lite and Vega-Embed from ``/vendor/`` (otherwise they keep
  Altair's own output, which loads them from a CDN).

``_vendor/`` is published at the site root through ``html_extra_path``, so the files are served
as ``/vendor/...``. Sphinx prefixes non-URL script paths with ``_static/`` and then makes them
relative to each page, so ``_config.yml`` uses ``../vendor/...`` (``_static/../vendor/...``),
which resolves from nested pages such as ``chapters/x.html`` too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR_ROOT = ROOT / "_vendor"  # html_extra_path: its content lands at the site root
VENDOR = VENDOR_ROOT / "vendor"
STAMP = VENDOR_ROOT / ".stamp.json"  # dot file: not copied into the site

# Pinned npm releases (html-manager 1.0.x goes with ipywidgets 8).
PACKAGES = {
    "mathjax": "3.2.2",
    "requirejs": "2.3.8",
    "@jupyter-widgets/html-manager": "1.0.15",
    # The live figures (critbook/live.py): Vega-Lite matching Altair 6.3's schema (v6.4.1).
    "vega": "6.4.0",
    "vega-lite": "6.4.1",
    "vega-embed": "7.3.0",
}

# What each package contributes: (path inside the npm tarball, destination under vendor/).
LAYOUT = {
    "mathjax": [
        ("es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
        ("es5/input", "mathjax/input"),  # TeX extensions loaded on demand
        ("es5/output/chtml", "mathjax/output/chtml"),  # CHTML output and its web fonts
        ("es5/output/chtml.js", "mathjax/output/chtml.js"),
        ("es5/a11y", "mathjax/a11y"),
        ("es5/ui", "mathjax/ui"),  # the right-click menu
        ("es5/sre", "mathjax/sre"),  # speech rule engine (accessibility)
        ("es5/adaptors", "mathjax/adaptors"),
        ("LICENSE", "mathjax/LICENSE"),
        # The whole build, with its Node.js entry point (node-main.js), for typesetting at build
        # time (tools/prerender_math.py). A dot folder: the site does not publish it.
        ("es5", ".node/mathjax/es5"),
    ],
    "requirejs": [
        ("require.js", "requirejs/require.js"),
        ("README.md", "requirejs/README.md"),
    ],
    "@jupyter-widgets/html-manager": [
        ("dist", "html-manager/dist"),  # embed-amd.js, its CSS and fonts (source maps dropped)
    ],
    # UMD builds, loaded by the live figures' own loader (critbook.live) on the pages that have one.
    "vega": [("build/vega.min.js", "vega/vega.min.js"), ("LICENSE", "vega/LICENSE")],
    "vega-lite": [
        ("build/vega-lite.min.js", "vega-lite/vega-lite.min.js"),
        ("LICENSE", "vega-lite/LICENSE"),
    ],
    "vega-embed": [
        ("build/vega-embed.min.js", "vega-embed/vega-embed.min.js"),
        ("LICENSE", "vega-embed/LICENSE"),
    ],
}

# The files whose presence the Sphinx extension checks, and the URLs it configures.
# (Site-root-relative; _config.yml writes them as ../vendor/... for the _static/ prefix.)
MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
REQUIREJS = "vendor/requirejs/require.js"
HTML_MANAGER = "vendor/html-manager/dist/embed-amd.js"
# The live figures load these three from the page's content root (see critbook.live.LOADER_JS).
VEGA = ["vendor/vega/vega.min.js", "vendor/vega-lite/vega-lite.min.js",
        "vendor/vega-embed/vega-embed.min.js"]
REQUIRED = [MATHJAX, REQUIREJS, HTML_MANAGER, *VEGA]


def _pins_digest() -> str:
    text = json.dumps({"packages": PACKAGES, "layout": LAYOUT}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_vendored() -> bool:
    """True when every required file is present and matches the current pins."""
    if not all((VENDOR_ROOT / f).is_file() for f in REQUIRED):
        return False
    try:
        return json.loads(STAMP.read_text()).get("digest") == _pins_digest()
    except (OSError, ValueError):
        return False


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.map", "*.ts"))
    else:
        shutil.copy2(src, dst)


def vendor() -> bool:
    """Fetch and unpack the pinned packages; return True when the site is self-contained."""
    if is_vendored():
        print(
            "vendor_js: MathJax, RequireJS and the widget manager are in"
            f" {VENDOR.relative_to(ROOT)}/"
            " (up to date)."
        )
        return True
    npm = shutil.which("npm")
    if npm is None:
        print(
            "vendor_js: npm not found: the site will load MathJax and the widget JavaScript from"
            " CDNs (pages need internet for equations and widgets)."
        )
        return False
    with tempfile.TemporaryDirectory(prefix="critbook-vendor-") as tmp:
        tmpdir = Path(tmp)
        specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
        result = subprocess.run(
            [npm, "pack", "--silent", "--json", *specs],
            cwd=tmpdir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            print(
                "vendor_js: `npm pack` failed: the site will load MathJax and the widget JavaScript"
                " from CDNs.\n" + result.stderr.strip()[-2000:]
            )
            return False
        packed = {entry["name"]: tmpdir / entry["filename"] for entry in json.loads(result.stdout)}
        staging = tmpdir / "vendor"
        for name, tarball in packed.items():
            unpacked = tmpdir / "unpacked" / name.replace("/", "__")
            with tarfile.open(tarball) as tar:
                if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
                    tar.extractall(unpacked, filter="data")
                else:  # pragma: no cover - old patch releases
                    tar.extractall(unpacked)
            for src, dst in LAYOUT[name]:
                _copy(unpacked / "package" / src, staging / dst)
        # Swap in atomically enough: remove the old tree, move the new one.
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        VENDOR_ROOT.mkdir(exist_ok=True)
        shutil.move(str(staging), str(VENDOR))
    STAMP.write_text(json.dumps({"digest": _pins_digest(), "packages": PACKAGES}, indent=1) + "\n")
    size = sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file()) / 1e6
    print(
        f"vendor_js: vendored {', '.join(f'{n}@{v}' for n, v in PACKAGES.items())}"
        f" into {VENDOR.relative_to(ROOT)}/ ({size:.1f} MB)."
    )
    return True


# --------------------------------------------------------------------------------------------
# Sphinx extension
# --------------------------------------------------------------------------------------------

# The widget manager's webpack bundles locate their fonts (Font Awesome 4, for widget icons)
# from their RequireJS module URL, which from a page in chapters/ resolves to
# chapters/@jupyter-widgets/html-manager/dist/ (or chapters/@jupyter-widgets/ for the modules
# named @jupyter-widgets/base, controls, ...). Map those module names into the vendored copy's
# folder (data-content_root is the page's way back to the site root). The modules are defined
# inside embed-amd.js, so nothing is fetched from these paths: only the URLs derived from them.
REQUIREJS_PATHS_JS = """(function () {
  var root = new URL(document.documentElement.dataset.content_root || "./", document.baseURI);
  var dist = new URL("vendor/html-manager/dist", root).href;
  var paths = {"@jupyter-widgets/html-manager/dist": dist};
  ["base", "base7", "controls", "controls7", "html-manager"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = dist + "/" + name;
  });
  require.config({paths: paths});
})();"""

# ipywidgets 8 typesets widget labels through the MathJax 2 API (MathJax.Hub.Queue), which
# MathJax 3 does not have: every widget on a page with equations would throw. Forward the call
# to MathJax 3 (runs before the widgets render, which happens on "load").
MATHJAX2_SHIM_JS = """document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (!mj || mj.Hub || typeof mj.typesetPromise !== "function") { return; }
  mj.Hub = {Queue: function () {
    Array.prototype.forEach.call(arguments, function (job) {
      if (Array.isArray(job) && job[0] === "Typeset") {
        var nodes = job[2] ? [job[2]] : undefined;
        (mj.startup && mj.startup.promise || Promise.resolve()).then(function () {
          return mj.typesetPromise(nodes);
        });
      }
    });
  }};
});"""


def _check_vendored(app, config) -> None:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    if is_vendored():
        logger.info("vendor_js: MathJax, widget and Vega JavaScript served from /vendor/.")
        # The kernels that run the chapters inherit this: critbook.live.LiveFigure then writes
        # HTML that loads Vega from /vendor/ instead of Altair's default (CDN) output.
        os.environ["CRITBOOK_LIVE"] = "site"
        # RequireJS first, then its configuration, then the widget manager.
        scripts = {}
        for path, attributes in config.nb_ipywidgets_js.items():
            scripts[path] = attributes
            if path.endswith("require.js"):
                scripts[""] = {"body": REQUIREJS_PATHS_JS}
        config.nb_ipywidgets_js = scripts
        return
    from myst_nb.core.config import ipywidgets_js_factory
    from sphinx.ext.mathjax import MATHJAX_URL

    config.mathjax_path = MATHJAX_URL
    config.nb_ipywidgets_js = ipywidgets_js_factory()
    logger.info(
        "vendor_js: _vendor/ is missing or stale (run `python tools/vendor_js.py`): "
        "this build loads MathJax and the widget JavaScript from CDNs."
    )


def _dedupe_inline_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated identical scripts from a page.

    sphinx-thebe registers its inline configuration (``const THEBE_JS_URL = ...``) once with the
    builder and once through the registry, with ``None`` and ``""`` as file name, so Sphinx keeps
    both and the second one throws "Identifier 'THEBE_JS_URL' has already been declared".
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        attributes = getattr(js, "attributes", {}) or {}
        key = (
            getattr(js, "filename", js) or "",
            tuple(sorted((k, str(v)) for k, v in attributes.items() if k != "priority")),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    # Run after the configuration is read, before MyST-NB copies nb_* values (builder-inited).
    app.connect("config-inited", _check_vendored, priority=900)
    app.add_js_file(None, body=MATHJAX2_SHIM_JS, priority=400)
    app.connect("html-page-context", _dedupe_inline_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    vendor()
    sys.exit(0)
