"""Turns IPython's format dicts into bounded `display` events for the bot.

A display event carries a MIME bundle of strings:
  text/plain                      at most MAX_TEXT_PLAIN characters
  text/html                       at most MAX_TEXT_HTML (the web chat shows it; chats do not)
  image/png                       base64; MAX_PNG_BYTES each, MAX_IMAGES_PER_RUN per run
  application/vnd.cib.table+json  a table's shown rows, as JSON text (cib_tables)
and, beside it, `files`: what stands for the display as a whole file, base64:
  text/html                       a plotly figure's interactive page (cib_plotly)
  text/csv                        a table's whole data
each at most MAX_FILE_BYTES, all of a run's together at most MAX_FILE_BYTES_PER_RUN. An event
stays under MAX_EVENT_BYTES, below the supervisor's line limit (cib_kernel_link.MAX_KERNEL_LINE),
so nothing the kernel means to send can break the channel. What is left out is said in the
run's `dropped` list, which the person reads as "Not shown: …".
"""

import base64
import json

from cib_browser import BrowserError
from cib_plotly import PLOTLY_MIME, FigurePictures, figure_page, figure_title
from cib_tables import MAX_CSV_BYTES, TABLE_MIME, clean_table

MAX_TEXT_PLAIN = 64 * 1024
MAX_TEXT_HTML = 256 * 1024
MAX_PNG_BYTES = 12 * 1024 * 1024
MAX_IMAGES_PER_RUN = 32
MAX_FILE_BYTES = 12 * 1024 * 1024
MAX_FILE_BYTES_PER_RUN = 48 * 1024 * 1024
MAX_EVENT_BYTES = 22 * 1024 * 1024


def _mib(size):
    return "%.1f MiB" % (size / (1024 * 1024))


def _base64_size(size):
    return 4 * ((size + 2) // 3)


class Displays:
    def __init__(self, channel, sink):
        self._channel = channel
        self._sink = sink
        self._pictures = FigurePictures()
        self.reset()

    def reset(self):
        self.images_sent = 0
        self.file_bytes = 0
        self.dropped = []

    def finish(self):
        """Ends what a run's displays started: the browser that drew its figures."""
        self._pictures.close()

    def publish(self, data, is_result):
        figure = data.get(PLOTLY_MIME)
        if isinstance(figure, dict):
            self._publish_figure(figure, is_result)
            return
        bundle = {}
        files = {}
        text = data.get("text/plain")
        if isinstance(text, str):
            bundle["text/plain"] = text[:MAX_TEXT_PLAIN] + ("…" if len(text) > MAX_TEXT_PLAIN else "")
        html = data.get("text/html")
        if isinstance(html, str):
            if len(html) <= MAX_TEXT_HTML:
                bundle["text/html"] = html
            else:
                self.dropped.append("an HTML view over %d KiB (the text view was kept)" % (MAX_TEXT_HTML // 1024))
        table = data.get(TABLE_MIME)
        if isinstance(table, dict):
            self._add_table(table, bundle, files)
        png = data.get("image/png")
        if png is not None:
            png_b64 = self._png_base64(png)
            if png_b64 is not None:
                bundle["image/png"] = png_b64
        self._send(bundle, files, is_result)

    def _publish_figure(self, figure, is_result):
        title = figure_title(figure)
        label = 'the plotly figure "%s"' % title[:60] if title else "a plotly figure"
        # What the model reads of it; the person gets the picture and the page.
        bundle = {"text/plain": "<plotly figure%s>" % (": " + title[:200] if title else "")}
        files = {}
        if self.images_sent >= MAX_IMAGES_PER_RUN:
            self.dropped.append("the picture of %s (a run shows at most %d images)" % (label, MAX_IMAGES_PER_RUN))
        else:
            try:
                png_b64 = self._png_base64(self._pictures.draw(figure))
            except BrowserError as error:
                self.dropped.append("the picture of %s (%s)" % (label, error))
            except Exception as error:  # noqa: BLE001 - a picture that fails must not fail the user's code
                self.dropped.append("the picture of %s (%s: %s)" % (label, type(error).__name__, str(error)[:120]))
            else:
                if png_b64 is not None:
                    bundle["image/png"] = png_b64
        try:
            page = figure_page(figure).encode("utf-8")
        except Exception as error:  # noqa: BLE001 - a figure plotly cannot write still has its picture
            self.dropped.append("the interactive page of %s (%s)" % (label, str(error)[:120]))
        else:
            problem = self._add_file(files, "text/html", page, bundle)
            if problem:
                self.dropped.append("the interactive page of %s (%s)" % (label, problem))
        self._send(bundle, files, is_result)

    def _add_table(self, table, bundle, files):
        clean = clean_table(table)
        if clean is None:
            return
        csv = table.get("csv")
        if isinstance(csv, bytes):
            problem = self._add_file(files, "text/csv", csv, bundle)
        else:
            size = table.get("csv_bytes")
            estimate = "about %s, " % _mib(size) if isinstance(size, int) and size > 0 else ""
            problem = "it would be %sover the %d MiB limit" % (estimate, MAX_CSV_BYTES >> 20)
        if problem:
            # Said with the table, and only where a platform shows less than the whole of it.
            clean["csv_missing"] = problem
        bundle[TABLE_MIME] = json.dumps(clean, separators=(",", ":"))

    def _add_file(self, files, mime, data, bundle):
        """Adds a file to the event; returns why it was left out, or None."""
        if len(data) > MAX_FILE_BYTES:
            return "it is %s, over the %d MiB limit" % (_mib(len(data)), MAX_FILE_BYTES >> 20)
        if self.file_bytes + len(data) > MAX_FILE_BYTES_PER_RUN:
            return "this run already sent %d MiB of pages and tables" % (MAX_FILE_BYTES_PER_RUN >> 20)
        event_size = sum(len(value) for value in bundle.values()) + sum(len(value) for value in files.values())
        if event_size + _base64_size(len(data)) > MAX_EVENT_BYTES:
            return "with its picture it is over %d MiB" % (MAX_EVENT_BYTES >> 20)
        files[mime] = base64.b64encode(data).decode("ascii")
        self.file_bytes += len(data)
        return None

    def _send(self, bundle, files, is_result):
        if not bundle and not files:
            return
        message = {"type": "display", "data": bundle, "result": bool(is_result)}
        if files:
            message["files"] = files
        # Order matters to the reader: text printed before this display comes first.
        self._sink.flush()
        self._channel.send(message)

    def _png_base64(self, png):
        raw = png if isinstance(png, (bytes, bytearray)) else None
        if raw is None and isinstance(png, str):
            try:
                raw = base64.b64decode(png, validate=False)
            except ValueError:
                return None
        if raw is None:
            return None
        if self.images_sent >= MAX_IMAGES_PER_RUN:
            self.dropped.append("images beyond the first %d" % MAX_IMAGES_PER_RUN)
            return None
        if len(raw) > MAX_PNG_BYTES:
            self.dropped.append("an image of %d MiB (over %d MiB)" % (len(raw) >> 20, MAX_PNG_BYTES >> 20))
            return None
        self.images_sent += 1
        return base64.b64encode(raw).decode("ascii")
