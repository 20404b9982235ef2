"""A matplotlib backend for the sandbox: Agg rendering, and `plt.show()` sends the figures.

Selected with MPLBACKEND=module://cib_figures. Figures still open when a cell ends are
sent too, so code that never calls show() gets its charts, as in a notebook.
"""

import io

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase

_displays = None


def install(displays):
    global _displays
    _displays = displays


def show(*args, **kwargs):
    flush_open_figures()


def flush_open_figures():
    import sys

    if "matplotlib.pyplot" not in sys.modules or _displays is None:
        return
    from matplotlib import pyplot
    from matplotlib._pylab_helpers import Gcf

    try:
        for manager in Gcf.get_all_fig_managers():
            figure = manager.canvas.figure
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            width, height = figure.canvas.get_width_height()
            _displays.publish(
                {"image/png": buffer.getvalue(), "text/plain": "<Figure size %dx%d>" % (width, height)},
                is_result=False,
            )
    finally:
        pyplot.close("all")
