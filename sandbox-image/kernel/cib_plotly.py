"""Plotly figures in the sandbox: an interactive page that opens offline, and a picture of it.

The image sets PLOTLY_RENDERER=plotly_mimetype, so `fig.show()` and a figure left as a cell's
value publish the figure's JSON (application/vnd.plotly.v1+json) instead of opening a browser.
The kernel turns that into a self-contained HTML page (Debian's plotly.js, minified when the
image is built, inlined: it opens with no network) and a PNG drawn by headless Chromium
(cib_browser), 800x500 unless the figure sets its own size, like a default matplotlib figure.
"""

import json
import os
import shutil
import tempfile

from cib_browser import Browser, BrowserError

PLOTLY_MIME = "application/vnd.plotly.v1+json"
# Where Debian's python3-plotly keeps plotly.js, and where plotly.offline.get_plotlyjs() reads it.
PLOTLY_JS = "/usr/share/python3-plotly/plotly.js"
DEFAULT_SIZE = (800, 500)
MIN_SIDE, MAX_SIDE = 50, 2400
# A figure's JSON beyond this is not drawn: the browser would need more memory than a sandbox has.
MAX_FIGURE_JSON = 32 * 1024 * 1024
LOAD_SECONDS = 20
DRAW_SECONDS = 30

# The picture's page: plotly.js read from the image's own files, one figure drawn at a time.
# The mode bar is hidden: it is of no use in a picture. Two frames after drawing, 3D (WebGL)
# scenes have been painted too.
_PICTURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<style>html, body { margin: 0; background: white; overflow: hidden; }</style>
<script src="file://%s"></script>
</head><body><div id="figure"></div>
<script>
window.cibDraw = function (figure, width, height) {
  var div = document.getElementById("figure");
  Plotly.purge(div);
  div.style.width = width + "px";
  div.style.height = height + "px";
  var layout = Object.assign({}, figure.layout || {}, { width: width, height: height });
  var config = Object.assign({}, figure.config || {}, { displayModeBar: false, responsive: false, staticPlot: false });
  return Plotly.newPlot(div, figure.data || [], layout, config).then(function () {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () { requestAnimationFrame(function () { resolve(true); }); });
    });
  });
};
</script></body></html>
"""


def figure_title(figure):
    layout = figure.get("layout") if isinstance(figure.get("layout"), dict) else {}
    title = layout.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return title if isinstance(title, str) else ""


def figure_size(figure):
    """The picture's size in pixels: the figure's own width and height, else the default."""
    layout = figure.get("layout") if isinstance(figure.get("layout"), dict) else {}
    size = []
    for key, default in zip(("width", "height"), DEFAULT_SIZE):
        value = layout.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            value = default
        size.append(int(min(max(value, MIN_SIDE), MAX_SIDE)))
    return tuple(size)


def figure_page(figure):
    """The interactive page: plotly.js inlined, the figure filling the window."""
    import plotly.io as pio

    config = figure.get("config") if isinstance(figure.get("config"), dict) else None
    page = pio.to_html(
        figure,
        config=config,
        include_plotlyjs=True,
        full_html=True,
        validate=False,
        default_width="100%",
        default_height="100vh",
    )
    # Without the browser's default body margin, a figure one window high does not scroll.
    return page.replace("<head>", "<head><style>html, body { margin: 0; }</style>", 1)


class FigurePictures:
    """Draws a run's figures with one browser, started on the first and closed when the run ends."""

    def __init__(self):
        self._browser = None
        self._page_dir = None

    def draw(self, figure):
        """PNG bytes of the figure. Raises BrowserError, with a reason a person can read."""
        data = json.dumps(figure, separators=(",", ":"))
        if len(data) > MAX_FIGURE_JSON:
            raise BrowserError(
                "its data is %d MiB, over the %d MiB a picture is drawn from" % (len(data) >> 20, MAX_FIGURE_JSON >> 20)
            )
        width, height = figure_size(figure)
        try:
            browser = self._ready_browser()
            browser.resize(width, height)
            browser.evaluate("cibDraw(%s, %d, %d)" % (data, width, height), timeout=DRAW_SECONDS)
            return browser.screenshot(width, height, timeout=DRAW_SECONDS)
        except BaseException:
            # A browser that failed once (or was interrupted mid-call) is not trusted with the next figure.
            self.close()
            raise

    def _ready_browser(self):
        if self._browser is not None and self._browser.running:
            return self._browser
        self.close()
        if not os.path.exists(PLOTLY_JS):
            raise BrowserError("plotly.js is missing from this sandbox image")
        self._page_dir = tempfile.mkdtemp(prefix="cib-figure-")
        page = os.path.join(self._page_dir, "figure.html")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(_PICTURE_PAGE % PLOTLY_JS)
        browser = Browser()
        self._browser = browser
        browser.start()
        browser.open(page, "typeof window.cibDraw === 'function' && typeof window.Plotly === 'object'", LOAD_SECONDS)
        return browser

    def close(self):
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.close()
        if self._page_dir is not None:
            shutil.rmtree(self._page_dir, ignore_errors=True)
            self._page_dir = None
