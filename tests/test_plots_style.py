"""The book's figure style: figures as wide as the text column, checked arguments."""

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

from critbook import plots


@pytest.mark.parametrize(
    ("args", "kwargs", "size"),
    [
        ((), {}, (plots.COLUMN_WIDTH, 4.0)),
        ((1, 2), {}, (plots.COLUMN_WIDTH, 3.3)),
        ((2, 2), {"sharey": True}, (plots.COLUMN_WIDTH, 6.6)),
        ((3, 1), {"height": 5}, (plots.COLUMN_WIDTH, 5.0)),
    ],
)
def test_column_figure_size(args, kwargs, size):
    fig, axes = plots.column_figure(*args, **kwargs)
    try:
        assert tuple(fig.get_size_inches()) == pytest.approx(size)
        assert len(fig.axes) == (args[0] * args[1] if args else 1)
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"nrows": 0}, "nrows"),
        ({"ncols": 1.5}, "ncols"),
        ({"ncols": True}, "ncols"),
        ({"height": -1.0}, "height"),
        ({"height": float("nan")}, "height"),
    ],
)
def test_column_figure_rejects(kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.column_figure(**kwargs)


def test_use_book_style_sets_and_rcdefaults_undoes():
    with mpl.rc_context():
        plots.use_book_style()
        assert mpl.rcParams["font.size"] == plots.BOOK_STYLE["font.size"]
        assert tuple(mpl.rcParams["figure.figsize"]) == (plots.COLUMN_WIDTH, 4.0)
    assert mpl.rcParams["font.size"] == mpl.rcParamsDefault["font.size"]
