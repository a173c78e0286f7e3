"""The book's standard figures, reusable in one's own notebooks.

Every function draws on a matplotlib ``Axes`` (a new figure if none is given),
sets a title and labelled axes, and returns the ``Axes``. This package only
draws: simulations are run by the caller with the other critbook modules and
passed in; closed forms (the simplex map, its limits, the predictions) are
evaluated here for the reference curves. One module per chapter of the book,
all names available here (``critbook.plots.plot_phase_diagram``); the shared
style (regime colours, axis decoration) is in ``critbook.plots._style``.
"""

from ._style import new_axes, regime_colors
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
    "new_axes",
    "regime_colors",
    *_collapse,
    *_tractable,
    *_transition,
    *_gradients,
    *_practice,
    *_heads,
]
