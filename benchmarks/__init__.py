"""Benchmarks of critbook's streamed attention (not part of the installed package).

- ``python -m benchmarks [--quick]``: the report (time and memory tables,
  machine description); see :mod:`benchmarks.__main__` for the options.
- ``python -m benchmarks.tiles``: the tile-shape sweep behind the kernel's
  default tile (``critbook._kernel.TILE_ROWS``, ``TILE_BYTES``).
- ``python -m benchmarks.timing ...``: interleaved timings of several
  methods in one process (used by the report).
- ``python -m benchmarks.memory METHOD N D``: peak memory of one call in a
  fresh process (used by the report).

PyTorch is optional and only used for comparison: pass ``--torch-python`` an
interpreter that has torch, numpy and critbook installed.
"""
