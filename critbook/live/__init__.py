"""Live figures: critbook's numbers on a grid, drawn by Vega-Lite behind sliders.

A static web page has no Python behind it, so a slider there can only
choose among values computed beforehand. Each figure of this module is made
in two steps:

1. a ``*_data`` function evaluates critbook's public functions over every
   slider setting the figure offers (the grid) and returns the arrays, as a
   :class:`LiveData`;
2. a ``*_figure`` function turns them into an Altair chart whose bound
   parameters are the sliders, wrapped in a :class:`LiveFigure`.

The browser then only filters the table to the chosen setting and draws it
(no formula is repeated in JavaScript). In JupyterLab or on Binder a
:class:`LiveFigure` displays as the Altair chart it wraps. When the book is
built, the Sphinx extension ``tools/vendor_js.py`` sets the environment
variable ``CRITBOOK_LIVE=site`` (inherited by the kernels that run the
chapters) and the figure is written as HTML that loads Vega, Vega-Lite and
Vega-Embed from the site's own ``vendor/`` folder: no CDN, and the page works
offline, served by any static server or opened from disk.

Data are stored compactly: one row per slider setting whose curves are
integer arrays (the value times ``10**decimals``), expanded in the browser
by Vega-Lite's ``flatten`` transform after the filter, so a slider move
touches one curve only.

Examples
--------
>>> from critbook.live import phase_data
>>> data = phase_data()
>>> data.grids["gamma"][:3]
array([0.  , 0.05, 0.1 ])
>>> data.arrays["rho_out"].shape
(23, 17, 5, 161)
"""

from ._core import LOADER_JS, REGIMES, VENDOR_FILES, LiveData, LiveFigure, grid
from .collapse import rank_collapse_data, rank_collapse_figure
from .gradients import gradients_data, gradients_figure
from .practice import practice_data, practice_figure
from .tractable import tractable_data, tractable_figure
from .transition import phase_data, phase_figure

__all__ = [
    "REGIMES",
    "VENDOR_FILES",
    "LOADER_JS",
    "LiveData",
    "LiveFigure",
    "grid",
    "rank_collapse_data",
    "rank_collapse_figure",
    "tractable_data",
    "tractable_figure",
    "phase_data",
    "phase_figure",
    "gradients_data",
    "gradients_figure",
    "practice_data",
    "practice_figure",
]
