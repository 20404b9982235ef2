"""The Python kernel: runs user code in one persistent IPython namespace.

It runs as the session's unprivileged uid (the supervisor switched to it before exec)
and talks only to the supervisor, over two private pipes whose file descriptors arrive
in CIB_CMD_FD / CIB_EVT_FD and are moved out of user code's way at start. Every event
of a run carries the token the supervisor sent with that run, and nothing is sent
between runs. User code never sees the control channel through stdin/stdout: fd 0 is
/dev/null, and fds 1 and 2 are capture pipes (cib_streams) whose bytes are framed as
`stream` events, so text that looks like a protocol message is only ever payload.
"""

import json
import os
import shutil
import signal
import sys
import threading

from cib_displays import MAX_TEXT_PLAIN, Displays
from cib_kernel_link import PREIMPORT_WAIT_SECONDS
from cib_processes import reap_children
from cib_seaborn_offline import install as install_seaborn_offline
from cib_streams import OutputBudget, StandardStreams, StreamSink, periodic_flush

MAIN_PID = os.getpid()


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
        self.run = None

    def send(self, message):
        """Sends one event of the current run, stamped with its token; between runs, nothing."""
        # A forked child of user code shares our pipes; it must never speak on them.
        if os.getpid() != MAIN_PID:
            return
        with self._lock:
            if message["type"] != "ready":
                if self.run is None:
                    return  # e.g. a background thread printing between runs
                message = dict(message, run=self.run)
            self._write(message)

    def start_run(self, token):
        with self._lock:
            self.run = token

    def finish_run(self, done):
        """Sends the run's last event and forgets its token in one step, so nothing can follow it."""
        if os.getpid() != MAIN_PID:
            return
        with self._lock:
            self._write(dict(done, run=self.run))
            self.run = None

    def _write(self, message):
        data = (json.dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
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


def _strip_ansi(text):
    import re

    return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)


def _make_shell(displays, errors):
    from cib_lean_imports import lean_ipython_import

    with lean_ipython_import():
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
    with lean_ipython_import():
        # The shell loads its completer as it starts.
        shell = Shell.instance(config=config, displayhook_class=ResultHook, display_pub_class=Publisher)
    import cib_tables

    cib_tables.install(shell)
    shell.display_formatter.active_types = ["text/plain", "text/html", "image/png", cib_tables.TABLE_MIME]
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
    def __init__(self, channel, sink, budget, streams):
        self.channel = channel
        self.sink = sink
        self.budget = budget
        self.streams = streams
        self.errors = []
        self.displays = Displays(channel, sink)
        self.shell = _make_shell(self.displays, self.errors)
        self.executing = False
        self.preparing = False
        self.interrupt_requested = False
        self.preimport = None
        import cib_figures as figures

        figures.install(self.displays)
        self._figures = figures

    def on_sigint(self, signum, frame):
        # Only a run is interrupted; a late signal while idle is ignored. One that arrives while
        # a run is being set up is kept, so that run stops before its code starts.
        if self.executing:
            raise KeyboardInterrupt
        if self.preparing:
            self.interrupt_requested = True

    def prepare_run(self):
        """Undoes what an earlier run may have done to the kernel's own plumbing."""
        reap_children()
        self.streams.install()
        signal.signal(signal.SIGINT, self.on_sigint)
        self.shell.user_ns["input"] = _no_input

    def execute(self, request):
        self.preparing = True
        self.interrupt_requested = False
        self.prepare_run()
        self.budget.reset(int(request.get("output_limit", 1 << 20)))
        self.errors.clear()
        self.displays.reset()
        self.channel.start_run(str(request.get("run")))
        code = request.get("code", "")
        interrupted = False
        self.wait_for_preimport()
        # The run's time limit counts from here: waiting for the imports is not the code's time.
        self.channel.send({"type": "started"})
        self.executing = True
        self.preparing = False
        try:
            if self.interrupt_requested:
                raise KeyboardInterrupt
            if request.get("warmup"):
                self.warm_up()
            else:
                self.shell.run_cell(code, store_history=True)
        except KeyboardInterrupt:
            # Arrived between IPython's own handlers; it is still this run's interrupt.
            interrupted = True
        finally:
            self.executing = False
        if os.getpid() != MAIN_PID:
            # A forked child of user code fell through to here; it must not reach the channel.
            os._exit(0)
        # Children the code let end without waiting for them would hold pids until the next run.
        reap_children()
        if interrupted and not self.errors:
            self.errors.append({"name": "KeyboardInterrupt", "value": "", "traceback": "KeyboardInterrupt"})
        self._finish_figures()
        for stream in (self.streams.stdout, self.streams.stderr):
            stream.flush()
        self.streams.wait_until_drained()
        self.sink.flush()
        error = self.errors[0] if self.errors else None
        self.channel.finish_run(
            {
                "type": "done",
                "status": "error" if error else "ok",
                "error": error,
                "truncated": dict(self.budget.dropped),
                "dropped": list(self.displays.dropped),
                "execution_count": self.shell.execution_count - 1,
            }
        )

    def wait_for_preimport(self):
        """Lets the background import of the data stack finish before user code runs.

        Libraries such as plotly take pandas from sys.modules whenever it is there; halfway
        through its import in the other thread, they would get a half-made module."""
        if self.preimport is not None:
            self.preimport.join(PREIMPORT_WAIT_SECONDS)
            if not self.preimport.is_alive():
                self.preimport = None

    def warm_up(self):
        """Pays every first-use cost of a run before a person is waiting (a pooled container):
        the data stack's imports, IPython's first cell and matplotlib's first PNG. It leaves
        nothing in the namespace or the history, so the conversation's first cell is still [1]."""
        self.shell.run_cell("pass", store_history=False, silent=True)
        try:
            import io

            from matplotlib.figure import Figure

            figure = Figure(figsize=(2, 1), dpi=50)
            figure.subplots().plot([0, 1], [0, 1])
            figure.savefig(io.BytesIO(), format="png")
        except Exception:  # noqa: BLE001 - the conversation's own plot will meet any error and show it
            pass

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
        finally:
            # The browser that drew plotly figures ends with the run, before the supervisor
            # would stop it and report it as a process the code left behind.
            self.displays.finish()


def prepare_matplotlib_cache():
    """Copies the font cache built into the image where matplotlib can use it (the image is read-only)."""
    target = os.environ.get("MPLCONFIGDIR")
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "matplotlib")
    if not target or not os.path.isdir(source):
        return
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(source):
        destination = os.path.join(target, name)
        if name.endswith(".json") and not os.path.exists(destination):
            shutil.copyfile(os.path.join(source, name), destination)


def _preimport():
    """Loads the data stack in the background so the first plot is fast, without delaying `ready`."""
    try:
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - user code will meet the same import error and see it
        pass
    _install_parquet_engine()


def _install_parquet_engine():
    """pd.read_parquet and DataFrame.to_parquet without pyarrow: the kernel's own reader and writer."""
    try:
        import cib_parquet

        cib_parquet.install_pandas_engine()
    except Exception:  # noqa: BLE001 - pandas then says pyarrow is missing, as it would anyway
        pass


def main():
    if os.getuid() == 0 or os.geteuid() == 0:
        sys.stderr.write("kernel: refusing to run user code as root\n")
        os._exit(3)
    cmd_fd = _move_fd_high(int(os.environ.pop("CIB_CMD_FD")))
    evt_fd = _move_fd_high(int(os.environ.pop("CIB_EVT_FD")))
    channel = Channel(cmd_fd, evt_fd)
    prepare_matplotlib_cache()

    budget = OutputBudget()
    sink = StreamSink(channel, budget)
    streams = StandardStreams(sink)
    threading.Thread(target=periodic_flush, args=(sink,), name="stream-flush", daemon=True).start()

    if "" not in sys.path:
        sys.path.insert(1, "")
    kernel = SandboxKernel(channel, sink, budget, streams)
    signal.signal(signal.SIGINT, kernel.on_sigint)
    install_seaborn_offline()
    kernel.preimport = threading.Thread(target=_preimport, name="preimport", daemon=True)
    kernel.preimport.start()
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
        elif request.get("type") == "reap":
            reap_children()


if __name__ == "__main__":
    main()
