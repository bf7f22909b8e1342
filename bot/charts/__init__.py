"""Chart images (PNG bytes) drawn with matplotlib's object API on the Agg canvas, never pyplot.

Every ``render_*`` function is pure: a dataclass from ``bot.charts.data`` in, PNG bytes out.
They are slow CPU work, so callers on the event loop use ``bot.charts.run.render`` which runs
them on the chart thread. This package's ``__init__`` imports nothing: matplotlib is loaded
only by the rendering modules.
"""
