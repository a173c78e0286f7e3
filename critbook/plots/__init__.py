"""The book's standard figures, reusable in one's own notebooks.

Every function draws on a matplotlib ``Axes`` (a new figure if none is given),
sets a title and labelled axes, and returns the ``Axes``. This package only
draws: simulations are run by the caller with the other critbook modules and
passed in; closed forms (the simplex map, its limits, the predictions) are
evaluated here for the reference curves. One module per chapter of the book,
all names available here (``critbook.plots.plot_phase_diagram``); the shared
style (the column's width and font sizes, regime colours, axis decoration) is in
``critbook.plots._style``: ``use_book_style()`` and ``column_figure(nrows, ncols)`` draw
figures for the book's 690 px column.
"""

from ._style import BOOK_STYLE, COLUMN_WIDTH, column_figure, new_axes, regime_colors, use_book_style
from .collapse import *  # noqa: F403
from .collapse import __all__ as _collapse
from .gradients import *  # noqa: F403
from .gradients import __all__ as _gradients
from .heads import *  # noqa: F403
from .heads import __all__ as _heads
from .practice import *  # noqa: F403
from .practice import __all__ as _practice
from .tractable import *  # noqa: F403
from .tractable import __all__ as _tractable
from .transition import *  # noqa: F403
from .transition import __all__ as _transition

__all__ = [
    "BOOK_STYLE",
    "COLUMN_WIDTH",
    "use_book_style",
    "column_figure",
    "new_axes",
    "regime_colors",
    *_collapse,
    *_tractable,
    *_transition,
    *_gradients,
    *_practice,
    *_heads,
]
