// Typeset the equations of built HTML pages with MathJax at build time (run by
// tools/prerender_math.py after Sphinx has written the site; see its docstring for why).
//
//   node tools/prerender_math.js MATHJAX_ES5 SITE_DIR PAGE.html [PAGE.html ...]
//
// MATHJAX_ES5 is the es5/ folder of the npm package `mathjax` (vendored by tools/vendor_js.py);
// PAGE paths are relative to SITE_DIR. Each page is rewritten in place: every \(...\) and \[...\]
// in Sphinx's math elements becomes MathJax's CHTML output, with a hidden MathML copy for screen
// readers, and the page gets the CHTML style sheet in its <head>, its font URLs relative to the
// page. A page that holds no widget no longer loads MathJax in the browser; a page with widgets
// keeps it (widget labels are typeset when the widgets are drawn).
//
// Prints one JSON line: {"pages": N, "equations": N, "problems": [...]}. A problem is an equation
// with a TeX error or with a backslash left in its text (a macro MathJax did not know, typeset
// as text, e.g. \_ inside \texttt); the exit status is 1 when there is any.
"use strict";

const fs = require("fs");
const path = require("path");

const [es5, site, ...pages] = process.argv.slice(2);
const FONTS = "vendor/mathjax/output/chtml/fonts/woff-v2";
const PLACEHOLDER = "critbook-mathjax-fonts";
const MATHJAX_SCRIPT = /[ \t]*<script[^>]*src="[^"]*vendor\/mathjax\/tex-mml-chtml\.js[^"]*"[^>]*><\/script>[ \t]*\n?/;
const WIDGET_VIEW = 'type="application/vnd.jupyter.widget-view+json"';

require(path.resolve(es5, "node-main.js"))
  .init({
    loader: {
      paths: {mathjax: path.resolve(es5)},
      load: ["adaptors/liteDOM", "input/tex-full", "output/chtml", "a11y/assistive-mml"],
    },
    // The book's TeX settings (_config.yml: mathjax3_config) and Sphinx's math classes.
    tex: {
      inlineMath: [["\\(", "\\)"]],
      displayMath: [["\\[", "\\]"]],
      processEscapes: false,
      packages: {"[-]": ["noundefined"]},
    },
    options: {
      processHtmlClass: "tex2jax_process|mathjax_process|math|output_area",
      ignoreHtmlClass: "tex2jax_ignore|mathjax_ignore|document",
    },
    chtml: {fontURL: PLACEHOLDER},
    startup: {typeset: false},
  })
  .then((MathJax) => {
    const adaptor = MathJax.startup.adaptor;
    const report = {pages: 0, equations: 0, problems: []};
    for (const page of pages) {
      const file = path.join(site, page);
      const source = fs.readFileSync(file, "utf8");
      const doc = MathJax.startup.getDocument(source);
      doc.render();
      let count = 0;
      for (const item of doc.math) {
        count += 1;
        const mml = MathJax.startup.toMML(item.root);
        const tex = item.math.slice(0, 100);
        if (mml.includes("<merror")) report.problems.push(`${page}: TeX error in ${tex}`);
        for (const m of mml.matchAll(/<mtext[^>]*>([^<]*)<\/mtext>/g)) {
          if (m[1].includes("\\")) report.problems.push(`${page}: backslash typeset as text in ${tex}`);
        }
      }
      if (count === 0) continue; // nothing to typeset: the page stays as Sphinx wrote it
      // render() put MathJax's own style sheet (font URLs still the placeholder) into the
      // first page's head; it is replaced by the page's copy with its font URLs below.
      const own = MathJax.startup.output.chtmlStyles;
      if (own && adaptor.parent(own)) adaptor.remove(own);
      const fonts = path.posix.relative(path.posix.dirname(page), FONTS);
      const css = adaptor.textContent(MathJax.startup.output.styleSheet(doc)).split(PLACEHOLDER).join(fonts);
      adaptor.append(adaptor.head(doc.document), adaptor.node("style", {id: "critbook-mathjax-chtml"}, [adaptor.text(css)]));
      let html = adaptor.doctype(doc.document) + "\n" + adaptor.outerHTML(adaptor.root(doc.document));
      if (!html.includes(WIDGET_VIEW)) html = html.replace(MATHJAX_SCRIPT, "");
      fs.writeFileSync(file, html);
      report.pages += 1;
      report.equations += count;
    }
    process.stdout.write(JSON.stringify(report) + "\n");
    process.exit(report.problems.length ? 1 : 0);
  })
  .catch((error) => {
    process.stderr.write(String((error && error.stack) || error) + "\n");
    process.exit(2);
  });
