"""The Python kernel: runs user code in one persistent IPython namespace.

It talks only to the supervisor (its parent), over two private pipes whose file
descriptors arrive in CIB_CMD_FD / CIB_EVT_FD and are moved out of user code's way
at start. User code never sees the control channel through stdin/stdout: fd 0 is
/dev/null, and fds 1 and 2 are capture pipes whose bytes are framed as `stream`
events. Whatever user code prints, including text that looks like a protocol
message, travels as the payload of such an event and is never parsed as a command.
"""

import base64
import json
import os
import signal
import sys
import threading
import time

MAIN_PID = os.getpid()
MAX_TEXT_PLAIN = 64 * 1024
MAX_TEXT_HTML = 256 * 1024
MAX_PNG_BYTES = 12 * 1024 * 1024
MAX_IMAGES_PER_RUN = 32
STREAM_FLUSH_BYTES = 16 * 1024
STREAM_FLUSH_SECONDS = 0.05


def _move_fd_high(fd):
    """Duplicates fd above the range user code touches by habit, non-inheritable."""
    high = os.dup(fd)
    try:
        moved = os.dup2(high, 200 + fd, inheritable=False)
    finally:
        os.close(high)
    os.close(fd)
    return moved


class Channel:
    """Newline-delimited JSON to and from the supervisor; writes are atomic per message."""

    def __init__(self, cmd_fd, evt_fd):
        self._cmd = os.fdopen(cmd_fd, "rb", buffering=0)
        self._evt_fd = evt_fd
        self._lock = threading.Lock()
        self._pending = b""

    def send(self, message):
        # A forked child of user code shares our pipes; it must never speak on them.
        if os.getpid() != MAIN_PID:
            return
        data = (json.dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        with self._lock:
            view = memoryview(data)
            while view:
                written = os.write(self._evt_fd, view)
                view = view[written:]

    def receive(self):
        while b"\n" not in self._pending:
            chunk = self._cmd.read(1 << 16)
            if not chunk:
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return json.loads(line)


class OutputBudget:
    """Caps the bytes of stdout+stderr one execution may send, and counts what was dropped."""

    def __init__(self):
        self.reset(1 << 20)

    def reset(self, limit):
        self.limit = limit
        self.used = 0
        self.dropped = {"stdout": 0, "stderr": 0}

    def take(self, name, text):
        size = len(text.encode("utf-8", "replace"))
        room = self.limit - self.used
        if size <= room:
            self.used += size
            return text
        kept = text.encode("utf-8", "replace")[: max(room, 0)].decode("utf-8", "ignore")
        self.used += len(kept.encode("utf-8"))
        self.dropped[name] += size - len(kept.encode("utf-8"))
        return kept


class StreamSink:
    """Buffers stream text and sends it in batches, so a print loop is not one message per line."""

    def __init__(self, channel, budget):
        self._channel = channel
        self._budget = budget
        self._lock = threading.RLock()
        self._buffers = {"stdout": [], "stderr": []}
        self._sizes = {"stdout": 0, "stderr": 0}
        self.exec_id = None

    def write(self, name, text):
        if not text:
            return
        with self._lock:
            kept = self._budget.take(name, text)
            if not kept:
                return
            self._buffers[name].append(kept)
            self._sizes[name] += len(kept)
            if self._sizes[name] >= STREAM_FLUSH_BYTES:
                self._flush_stream(name)

    def flush(self):
        with self._lock:
            self._flush_stream("stdout")
            self._flush_stream("stderr")

    def _flush_stream(self, name):
        if not self._buffers[name]:
            return
        text = "".join(self._buffers[name])
        self._buffers[name] = []
        self._sizes[name] = 0
        self._channel.send({"type": "stream", "name": name, "text": text})


class PythonStream:
    """sys.stdout / sys.stderr for user code: text goes straight to the sink, in order."""

    def __init__(self, sink, name, fileno):
        self._sink = sink
        self.name = "<%s>" % name
        self._stream_name = name
        self._fileno = fileno
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        self._sink.write(self._stream_name, text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def fileno(self):
        return self._fileno

    @property
    def closed(self):
        return False


class CapturePump:
    """Points fd 1 or 2 at a pipe and forwards what subprocesses and C code write there."""

    def __init__(self, fd, name, sink):
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        os.set_inheritable(read_end, False)
        self._read_end = read_end
        self._name = name
        self._sink = sink
        self.busy = False
        threading.Thread(target=self._pump, name="capture-" + name, daemon=True).start()

    def _pump(self):
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                chunk = os.read(self._read_end, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self.busy = True
            try:
                self._sink.write(self._name, decoder.decode(chunk))
            finally:
                self.busy = False

    def pending_bytes(self):
        import fcntl
        import struct
        import termios

        raw = fcntl.ioctl(self._read_end, termios.FIONREAD, b"\0\0\0\0")
        return struct.unpack("i", raw)[0]


def _wait_until_drained(pumps, timeout=0.2):
    """Waits until what was written to the capture pipes so far has reached the sink."""
    deadline = time.monotonic() + timeout
    quiet_checks = 0
    while time.monotonic() < deadline:
        if any(pump.busy or pump.pending_bytes() for pump in pumps):
            quiet_checks = 0
        else:
            quiet_checks += 1
            # Twice quiet: a pump that had just read a chunk has had time to mark itself busy.
            if quiet_checks >= 2:
                return
        time.sleep(0.0002)


def _periodic_flush(sink):
    while True:
        time.sleep(STREAM_FLUSH_SECONDS)
        sink.flush()


class Displays:
    """Turns IPython format dicts into bounded `display` events."""

    def __init__(self, channel, sink):
        self._channel = channel
        self._sink = sink
        self.images_sent = 0
        self.dropped = []

    def reset(self):
        self.images_sent = 0
        self.dropped = []

    def publish(self, data, is_result):
        bundle = {}
        text = data.get("text/plain")
        if isinstance(text, str):
            bundle["text/plain"] = text[:MAX_TEXT_PLAIN] + ("…" if len(text) > MAX_TEXT_PLAIN else "")
        html = data.get("text/html")
        if isinstance(html, str):
            if len(html) <= MAX_TEXT_HTML:
                bundle["text/html"] = html
            else:
                self.dropped.append("an HTML view over %d KiB (the text view was kept)" % (MAX_TEXT_HTML // 1024))
        png = data.get("image/png")
        if png is not None:
            png_b64 = self._png_base64(png)
            if png_b64 is not None:
                bundle["image/png"] = png_b64
        if not bundle:
            return
        # Order matters to the reader: text printed before this display comes first.
        self._sink.flush()
        self._channel.send({"type": "display", "data": bundle, "result": bool(is_result)})

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


def _strip_ansi(text):
    import re

    return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)


def _make_shell(displays, errors):
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            displays.publish(data, is_result=False)

        def clear_output(self, wait=False):
            pass

    class ResultHook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            displays.publish(format_dict, is_result=True)

        def finish_displayhook(self):
            pass

    class Shell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb):
            errors.append(
                {
                    "name": getattr(etype, "__name__", str(etype)),
                    "value": _safe_str(evalue),
                    "traceback": _strip_ansi(self.InteractiveTB.stb2text(stb)),
                }
            )

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Context"
    shell = Shell.instance(config=config, displayhook_class=ResultHook, display_pub_class=Publisher)
    shell.display_formatter.active_types = ["text/plain", "text/html", "image/png"]
    return shell


def _safe_str(value):
    try:
        return str(value)[:MAX_TEXT_PLAIN]
    except Exception:  # noqa: BLE001 - a broken __str__ must not break error reporting
        return "<unprintable %s>" % type(value).__name__


def _no_input(prompt=""):
    __tracebackhide__ = True  # noqa: F841 - IPython hides this frame: the user needs only their own
    raise EOFError(
        "input() is not available: the code runs unattended, with no keyboard. "
        "Put the values in the code instead."
    )


class SandboxKernel:
    def __init__(self, channel, sink, budget, pumps):
        self.channel = channel
        self.sink = sink
        self.budget = budget
        self.pumps = pumps
        self.errors = []
        self.displays = Displays(channel, sink)
        self.shell = _make_shell(self.displays, self.errors)
        self.shell.user_ns["input"] = _no_input
        self.executing = False
        import cib_figures as figures

        figures.install(self.displays)
        self._figures = figures

    def execute(self, request):
        self.budget.reset(int(request.get("output_limit", 1 << 20)))
        self.errors.clear()
        self.displays.reset()
        code = request.get("code", "")
        interrupted = False
        self.executing = True
        try:
            self.shell.run_cell(code, store_history=True)
        except KeyboardInterrupt:
            # Arrived between IPython's own handlers; it is still this run's interrupt.
            interrupted = True
        finally:
            self.executing = False
        if os.getpid() != MAIN_PID:
            # A forked child of user code fell through to here; it must not reach the channel.
            os._exit(0)
        if interrupted and not self.errors:
            self.errors.append({"name": "KeyboardInterrupt", "value": "", "traceback": "KeyboardInterrupt"})
        self._finish_figures()
        sys.stdout.flush()
        sys.stderr.flush()
        _wait_until_drained(self.pumps)
        self.sink.flush()
        error = self.errors[0] if self.errors else None
        self.channel.send(
            {
                "type": "done",
                "status": "error" if error else "ok",
                "error": error,
                "truncated": dict(self.budget.dropped),
                "dropped": list(self.displays.dropped),
                "execution_count": self.shell.execution_count - 1,
            }
        )

    def _finish_figures(self):
        try:
            self._figures.flush_open_figures()
        except Exception as error:  # noqa: BLE001 - a figure that cannot render is reported, not fatal
            self.errors.append(
                {
                    "name": type(error).__name__,
                    "value": "a figure could not be rendered: %s" % _safe_str(error),
                    "traceback": "",
                }
            )


def _preimport():
    """Loads the data stack in the background so the first plot is fast, without delaying `ready`."""
    try:
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - user code will meet the same import error and see it
        pass


def main():
    cmd_fd = _move_fd_high(int(os.environ.pop("CIB_CMD_FD")))
    evt_fd = _move_fd_high(int(os.environ.pop("CIB_EVT_FD")))
    channel = Channel(cmd_fd, evt_fd)

    # Be the first process the OOM killer picks, so the supervisor survives a memory bomb.
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass

    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    budget = OutputBudget()
    sink = StreamSink(channel, budget)
    pumps = [CapturePump(1, "stdout", sink), CapturePump(2, "stderr", sink)]
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = PythonStream(sink, "stdout", 1)
    sys.stderr = PythonStream(sink, "stderr", 2)
    threading.Thread(target=_periodic_flush, args=(sink,), name="stream-flush", daemon=True).start()

    if "" not in sys.path:
        sys.path.insert(1, "")
    kernel = SandboxKernel(channel, sink, budget, pumps)

    def on_sigint(signum, frame):
        # Only a running execution is interrupted; a late signal while idle is ignored.
        if kernel.executing:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    threading.Thread(target=_preimport, name="preimport", daemon=True).start()
    channel.send({"type": "ready", "pid": MAIN_PID, "python": sys.version.split()[0]})

    while True:
        try:
            request = channel.receive()
        except (ValueError, KeyboardInterrupt):
            continue
        if request is None:
            os._exit(0)
        if request.get("type") == "execute":
            kernel.execute(request)


if __name__ == "__main__":
    main()
