"""The live figures (critbook.live) on the built site, in headless Chromium, offline.

On each chapter page: every live figure draws; moving each slider (or radio button) changes the
chart; the values the figure prints at a chosen setting equal critbook's, computed here, to the
resolution the page keeps; no console error, no failed request, no request to another host.
Also: the figures fit a 390 px phone screen with usable sliders, follow the dark theme, and work
from file://. Screenshots (1280 and 390 px, light and dark) go to test-artifacts/.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import critbook as cb

from .conftest import site_dir
from .test_site import PageWatch, _load

pytestmark = pytest.mark.browser

CHAPTERS = {
    "chapters/rank_collapse.html": "rank-collapse",
    "chapters/tractable_model.html": "tractable",
    "chapters/phase_transition.html": "phase",
    "chapters/gradients.html": "gradients",
    "chapters/practice.html": "practice",
}

READY_JS = """() => Array.from(document.querySelectorAll('.critbook-live'))
    .every(e => e.dataset.ready === '1' || e.dataset.error)"""


def _need_site() -> None:
    if not (site_dir() / "index.html").is_file():
        pytest.skip("no built site: run `make book` first (or set CRITBOOK_SITE)")


def _wait_drawn(page, count: int = 1) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('.critbook-live').length >= {count}", timeout=30_000
    )
    page.wait_for_function(READY_JS, timeout=30_000)
    errors = page.evaluate(
        "() => Array.from(document.querySelectorAll('.critbook-live'))"
        ".map(e => e.dataset.error).filter(Boolean)"
    )
    assert not errors, errors


def _figure(page, name: str):
    return page.locator(f'.critbook-live[data-critbook-live="{name}"]')


SET_JS = """async ([name, param, value]) => {
  const el = document.querySelector(`.critbook-live[data-critbook-live="${name}"]`);
  const inputs = Array.from(el.querySelectorAll(`input[name="${param}"]`));
  if (!inputs.length) { throw new Error(`no input ${param}`); }
  if (inputs[0].type === 'radio') {
    const radio = inputs.find(i => i.value === String(value));
    radio.checked = true;
    radio.dispatchEvent(new Event('change', {bubbles: true}));
  } else {
    inputs[0].value = String(value);
    inputs[0].dispatchEvent(new Event('input', {bubbles: true}));
  }
  await el.critbookView.runAsync();
  await new Promise(r => requestAnimationFrame(() => r()));
}"""

TEXTS_JS = """(name) => Array.from(document.querySelectorAll(
    `.critbook-live[data-critbook-live="${name}"] svg text`)).map(t => t.textContent)"""


def _set(page, name: str, param: str, value) -> None:
    page.evaluate(SET_JS, [name, param, value])


def _readout(page, name: str, pattern: str) -> str:
    texts = page.evaluate(TEXTS_JS, name)
    for text in texts:
        m = re.search(pattern, text)
        if m:
            return m.group(1)
    raise AssertionError(f"{name}: no text matching {pattern!r} in {texts}")


@pytest.mark.parametrize("path", CHAPTERS)
def test_live_figure_draws_and_every_control_changes_it(page, site_url: str, path: str) -> None:
    _need_site()
    name = CHAPTERS[path]
    watch = PageWatch(page, site_url)
    _load(page, site_url + path)
    _wait_drawn(page)
    figure = _figure(page, name)
    assert figure.count() == 1, f"{path}: expected one live figure {name!r}"
    marks = page.evaluate(
        '(name) => document.querySelector(`.critbook-live[data-critbook-live="${name}"] svg`)'
        ".querySelectorAll('path, circle, text').length",
        name,
    )
    assert marks > 20, f"{path}: the chart has {marks} marks"
    controls = page.evaluate(
        """(name) => {
          const el = document.querySelector(`.critbook-live[data-critbook-live="${name}"]`);
          const seen = {};
          for (const i of el.querySelectorAll('.vega-bindings input')) {
            if (!(i.name in seen)) {
              seen[i.name] = i.type === 'radio'
                ? {options: Array.from(el.querySelectorAll(`input[name="${i.name}"]`))
                     .map(r => r.value),
                   value: el.querySelector(`input[name="${i.name}"]:checked`).value}
                : {min: +i.min, max: +i.max, value: +i.value};
            }
          }
          return seen;
        }""",
        name,
    )
    assert controls, f"{path}: no sliders"
    svg = '(name) => document.querySelector(`.critbook-live[data-critbook-live="${name}"] svg`).innerHTML'
    for param, info in controls.items():
        before = page.evaluate(svg, name)
        if "options" in info:  # radio buttons: another option
            target = next(v for v in info["options"] if v != info["value"])
        else:  # a slider: to the end it is not at
            target = info["max"] if info["value"] != info["max"] else info["min"]
        _set(page, name, param, target)
        after = page.evaluate(svg, name)
        assert after != before, f"{path}: moving {param} to {target} did not change the chart"
    assert not watch.problems, "\n".join(watch.problems)


# The value checks: a setting of the sliders, and what the figure must print there, computed here
# with critbook. Tolerance: the resolution the page keeps for that number (its stored decimals)
# plus half a unit of the last printed digit.


def _rank_collapse():
    n, beta = 64, 3.0
    X = cb.uniform_sphere_tokens(n, 32, rng=n)
    X0 = cb.gaussian_tokens(n, 64, 0.3, rng=n)
    cos = cb.mean_cosine(cb.iterate_layers(X0, [beta] * 8)[-1])
    return {"log2n": 6, "beta": beta}, [
        (r"H = ([\d.]+)", cb.attention_entropy(X, beta).mean(), 1e-3),
        (r"largest weight = ([\d.]+)", cb.max_attention_weight(X, beta).mean(), 2e-4),
        (r"after 8 layers: ([\d.]+)", cos, 1e-3),
    ]


def _tractable():
    n, gamma, alpha, rho = 64, 2.2, 0.5, 0.7
    closed = cb.simplex_layer(n, gamma * math.log(n), rho, 1.0, alpha)[1]
    simulated = cb.mean_cosine(
        cb.attention_layer(cb.simplex_tokens(n, rho), gamma * math.log(n), alpha)
    )
    return {"log2n": 6, "gamma": gamma, "alpha": alpha, "rho": rho}, [
        (r"ρ′ = ([\d.]+) \(closed form\)", closed, 2e-4),
        (r"simulated: ([\d.]+)", simulated, 2e-4),
    ]


def _phase():
    n, gamma, rho, alpha = 1e6, 1.5, 0.4, 0.5
    beta = gamma * math.log(n)
    return {"log10n": 6, "gamma": gamma, "rho": rho, "alpha": alpha}, [
        (r"Aᵢᵢ = ([\d.]+)", cb.simplex_self_weight(n, beta, rho), 1.5e-3),
        (r"^ρ′ = ([\d.]+)", cb.simplex_layer(n, beta, rho, 1.0, alpha)[1], 1.5e-3),
        (r"limit n → ∞: ([\d.]+)", cb.simplex_limit(gamma, rho, 1.0, alpha), 1.5e-3),
        (r"^(subcritical|critical|supercritical)$", cb.regime(gamma, rho), None),
    ]


def _gradients():
    n, rho, alpha, ratio = 1e3, 0.4, 0.5, 1.2
    beta = ratio * cb.critical_gamma(rho) * math.log(n)
    return {"log10n": 3, "rho": rho, "alpha": alpha, "ratio": ratio}, [
        (r": η = ([\d.]+)", cb.simplex_eta(n, beta, rho, 1.0, alpha), 2e-4),
        (
            r"limit n → ∞: η = ([\d.]+)",
            cb.simplex_eta_limit(ratio * cb.critical_gamma(rho), rho, 1.0, None, alpha),
            2e-4,
        ),
        (r"λ = ([\d.]+)", cb.simplex_angle_ratio(n, beta, rho, 1.0, alpha), 1.5e-3),
    ]


def _practice():
    length, rho, n = 2.0**11, 0.2, 1e5
    rule = cb.practical_rules(yarn_length=length, qwen_length=length)["llama4"]
    beta = cb.calibrated_ratio(rule.factor, n, length) * cb.critical_beta(n, rho)
    segments = cb.regime_segments(
        lambda m: cb.calibrated_ratio(rule.factor, m, length) * cb.critical_beta(m, rho),
        rho,
        n_min=1e3,
        n_max=1e9,
    )
    where = next(s.regime for s in segments if s.start <= n < s.stop)
    return {"rule": "llama4", "log2L": 11, "rho": rho, "log10n": 5}, [
        (r"βₙ = ([\d.]+)", beta, 6e-3),
        (r"critical β = ([\d.]+)", cb.critical_beta(n, rho), 6e-3),
        (r"βₙ = [\d.]+, (\w+)", where, None),
    ]


VALUE_CASES = {
    "rank-collapse": ("chapters/rank_collapse.html", _rank_collapse),
    "tractable": ("chapters/tractable_model.html", _tractable),
    "phase": ("chapters/phase_transition.html", _phase),
    "gradients": ("chapters/gradients.html", _gradients),
    "practice": ("chapters/practice.html", _practice),
}


@pytest.mark.parametrize("name", VALUE_CASES)
def test_values_shown_equal_critbook(page, site_url: str, name: str) -> None:
    _need_site()
    path, case = VALUE_CASES[name]
    settings, checks = case()
    watch = PageWatch(page, site_url)
    _load(page, site_url + path)
    _wait_drawn(page)
    for param, value in settings.items():
        _set(page, name, param, value)
    for pattern, expected, tolerance in checks:
        shown = _readout(page, name, pattern)
        if tolerance is None:
            assert shown == expected, f"{name}: shows {shown!r}, critbook says {expected!r}"
        else:
            assert float(shown) == pytest.approx(float(expected), abs=tolerance), (
                f"{name}: {pattern} shows {shown}, critbook gives {expected:.6g}"
            )
    assert not watch.problems, "\n".join(watch.problems)


# Phone width and dark mode ------------------------------------------------------------------

CONTRAST_JS = """(name) => {
  const lum = (c) => {
    const v = (c.match(/[\\d.]+/g) || [0, 0, 0]).slice(0, 3).map(Number).map(x => {
      x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  };
  let bg = 'rgb(255, 255, 255)';
  for (let e = document.querySelector(`.critbook-live[data-critbook-live="${name}"]`); e;
       e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (!/rgba\\(.*, 0\\)|transparent/.test(c)) { bg = c; break; }
  }
  const el = document.querySelector(`.critbook-live[data-critbook-live="${name}"]`);
  const items = Array.from(el.querySelectorAll('svg text')).map(t => getComputedStyle(t).fill)
    .concat(Array.from(el.querySelectorAll('.vega-bindings span')).map(
      s => getComputedStyle(s).color));
  return items.map(c => {
    const [a, b] = [lum(c), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  });
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_readable_on_phone_and_in_dark_mode(
    browser, site_url: str, artifacts: Path, width: int, mode: str
) -> None:
    _need_site()
    context = browser.new_context(
        viewport={"width": width, "height": 900}, has_touch=width < 500, is_mobile=width < 500
    )
    context.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )
    problems: list[str] = []
    try:
        for path, name in CHAPTERS.items():
            page = context.new_page()
            watch = PageWatch(page, site_url)
            _load(page, site_url + path)
            _wait_drawn(page)
            assert page.evaluate("document.documentElement.dataset.theme") == mode
            figure = _figure(page, name)
            figure.scroll_into_view_if_needed()
            figure.screenshot(path=str(artifacts / f"live-{name}-{width}-{mode}.png"))
            box = page.evaluate(
                """(name) => {
                  const el = document.querySelector(`.critbook-live[data-critbook-live="${name}"]`);
                  const svg = el.querySelector('svg').getBoundingClientRect();
                  const inputs = Array.from(el.querySelectorAll('.vega-bindings input'))
                    .map(i => i.getBoundingClientRect()).map(r => [r.left, r.right, r.height]);
                  const values = Array.from(el.querySelectorAll('.vega-bind > label > span:last-child'))
                    .map(s => s.getBoundingClientRect()).map(r => [r.left, r.right, r.width]);
                  return {svg: [svg.left, svg.right], inputs, values,
                          page: document.documentElement.clientWidth};
                }""",
                name,
            )
            if box["svg"][1] > box["page"] + 1:
                problems.append(f"{path} at {width}px: chart wider than the screen {box['svg']}")
            for left, right, height in box["inputs"]:
                if right > box["page"] + 1 or left < -1:
                    problems.append(f"{path} at {width}px: a control is off screen")
                if height < 20:
                    problems.append(f"{path} at {width}px: a control is {height:.0f}px tall")
            for _left, right, w in box["values"]:
                if w <= 0 or right > box["page"] + 1:
                    problems.append(f"{path} at {width}px: a slider's value readout is not visible")
            ratios = page.evaluate(CONTRAST_JS, name)
            low = [r for r in ratios if r < 4.5]
            if low:
                problems.append(f"{path} ({mode}): {len(low)} text(s) with contrast < 4.5")
            problems += watch.problems
            page.close()
    finally:
        context.close()
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_every_chapter_has_a_live_figure() -> None:
    _need_site()
    for path, name in CHAPTERS.items():
        html = (site_dir() / path).read_text()
        assert f'data-critbook-live="{name}"' in html, f"{path}: no live figure {name!r}"
        # The figure's HTML names no other host: the libraries are the site's own.
        block = html[html.index('<div class="critbook-live"') :]
        block = block[: block.index("</script>", block.index("<script>"))]
        assert not re.search(r"https?://(?!vega\.github\.io/schema/)", block), path


def test_works_from_file_url(browser) -> None:
    """Opened from disk (file://), a chapter's live figure draws all the same."""
    _need_site()
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((site_dir() / "chapters/phase_transition.html").as_uri(), wait_until="load")
        _wait_drawn(page)
        _set(page, "phase", "gamma", 2.0)
        assert _readout(page, "phase", r"Aᵢᵢ = ([\d.]+)")
        ours = [e for e in errors if "critbook" in e or "vega" in e.lower()]
        assert not ours, ours
    finally:
        page.close()
