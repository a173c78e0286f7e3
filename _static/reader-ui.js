// critbook's small fixes to the page behaviour of the theme and its extensions (tools/reader_site.py
// and tests/browser/test_reader_ui.py describe and check them).
(function () {
  "use strict";

  // 1. "Solution to Exercise N": sphinx-exercise renders the exercise's name in the solution's title
  //    as a link to the exercise. A click on the title should open the solution (as a click anywhere
  //    else on the title does, through sphinx-togglebutton), not jump away to the exercise.
  //    (A modified click, e.g. Ctrl+click, still follows the link.) togglebutton's own handler
  //    only knows clicks on the title or its button, so the link's click is handed to the button.
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest && event.target.closest(".solution > .admonition-title a");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      var button = link.parentElement.querySelector(".toggle-button");
      if (!button) return; // not a dropdown: keep the link
      event.preventDefault();
      event.stopPropagation();
      button.click();
    },
    true
  );

  // 2. Search excerpts: Sphinx builds each result's excerpt from the text of the page's main
  //    element, which holds the header buttons (launch/download menus: ".ipynb .md .pdf") and
  //    the equations as raw TeX (MathJax typesets them only in the browser). Drop the buttons
  //    and write each equation as plain text.
  var GREEK = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ",
    sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω",
    Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Sigma: "Σ", Phi: "Φ", Omega: "Ω",
    infty: "∞", to: "→", in: "∈", le: "≤", leq: "≤", ge: "≥", geq: "≥", neq: "≠",
    approx: "≈", sim: "∼", cdot: "·", times: "×", ell: "ℓ", sum: "Σ", log: "log", exp: "exp",
    langle: "⟨", rangle: "⟩", sqrt: "√", partial: "∂", nabla: "∇", ldots: "…", cdots: "⋯",
    dots: "…", quad: " ", qquad: " ", mid: "|", top: "ᵀ", max: "max", min: "min", lim: "lim",
    lVert: "‖", rVert: "‖", Vert: "‖", lvert: "|", rvert: "|", vert: "|",
  };
  function plainMath(tex) {
    return tex
      .replace(/^\s*(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)\s*$/g, "")
      .replace(/\\(?:begin|end)\{[^}]*\}/g, " ")
      .replace(/\\(?:mathrm|mathbf|mathtt|mathit|text|operatorname|mathbb|mathcal)\s*/g, "")
      .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)")
      .replace(/\\([A-Za-z]+)/g, function (m, name) { return name in GREEK ? GREEK[name] : ""; })
      .replace(/\\[,;:! ]|&|\\\\/g, " ")
      .replace(/\\\|/g, "‖")
      .replace(/\\(.)/g, "$1")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }
  function cleanForExcerpt(root) {
    root.querySelectorAll(
      ".bd-header-article, .header-article-items, .bd-sidebar-secondary, .prev-next-area, " +
      ".bd-footer-article, .bd-footer-content, .toggle-button, .copybtn"
    ).forEach(function (e) { e.remove(); });
    root.querySelectorAll(".math").forEach(function (e) {
      e.textContent = " " + plainMath(e.textContent) + " ";
    });
  }
  function patchSearch() {
    // searchtools.js declares Search with const: a global binding, not a property of window.
    if (typeof Search === "undefined" || !Search.htmlToText || Search.htmlToText.critbook) return;
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      var main = doc.querySelector('[role="main"]');
      if (main) cleanForExcerpt(main);
      return original(doc.documentElement.outerHTML, anchor);
    };
    Search.htmlToText.critbook = true;
  }
  patchSearch();
  document.addEventListener("DOMContentLoaded", patchSearch);
})();
