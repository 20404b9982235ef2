"""The supervisor's link to one kernel process: starting it as the sandbox user, and its pipes.

Everything that arrives from the kernel is untrusted: user code shares its process, and
processes it forks inherit the pipe. So every event of a run must carry that run's token,
which the supervisor makes up when it sends the run and which no process that existed
before then can know (the supervisor stops them all first). A line that is malformed,
carries another token, or arrives when no run is waiting breaks the link: the supervisor
counts the offending lines it has read, reports them once, and starts a fresh kernel.
"""

import json
import os
import select
import subprocess
import sys
import time

MAX_KERNEL_LINE = 24 * 1024 * 1024
SEND_SECONDS = 5.0
KERNEL_EVENT_TYPES = {"ready", "started", "stream", "display", "done"}
DISPLAY_FILE_TYPES = {"text/html", "text/csv"}
HERE = os.path.dirname(os.path.abspath(__file__))
# The most a run waits for the kernel's background import of the data stack before its code
# starts (kernel.py). That wait is not the code's time: the run's limit counts from "started".
PREIMPORT_WAIT_SECONDS = 30


class Violation:
    """Why the kernel's channel can no longer be trusted, and how many lines said so."""

    def __init__(self, reason, lines):
        self.reason = reason
        self.lines = lines


class KernelLink:
    """One kernel child process and the pipes to it."""

    def __init__(self, identity, data_dir):
        cmd_r, self.cmd_w = os.pipe()
        self.evt_r, evt_w = os.pipe()
        env = dict(os.environ)
        env["CIB_CMD_FD"] = str(cmd_r)
        env["CIB_EVT_FD"] = str(evt_w)
        env["MPLBACKEND"] = "module://cib_figures"
        env["USER"] = env["LOGNAME"] = "sandbox"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-u", os.path.join(HERE, "kernel.py")],
                stdin=subprocess.DEVNULL,
                stdout=2,
                stderr=2,
                pass_fds=(cmd_r, evt_w),
                cwd=data_dir,
                env=env,
                start_new_session=True,
                preexec_fn=identity.become_sandbox_user,
            )
        except BaseException:
            self.close()
            raise
        finally:
            os.close(cmd_r)
            os.close(evt_w)
        os.set_blocking(self.evt_r, False)
        os.set_blocking(self.cmd_w, False)
        self.buffer = bytearray()
        self.ready = False
        self.pid = self.process.pid
        self.run_token = None  # the run whose events are expected now
        self.started_run = None  # the run whose "started" came already

    def send(self, message):
        """Writes one command; False if the kernel did not take it within SEND_SECONDS."""
        view = memoryview((json.dumps(message) + "\n").encode())
        deadline = time.monotonic() + SEND_SECONDS
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                _readable, writable, _ = select.select([], [self.cmd_w], [], remaining)
                if writable:
                    view = view[os.write(self.cmd_w, view) :]
            except BlockingIOError:
                continue
            except OSError:
                return False
        return True

    def read_events(self):
        """Returns (events, violation). A violation means the channel can no longer be trusted."""
        try:
            chunk = os.read(self.evt_r, 1 << 20)
        except BlockingIOError:
            return [], None
        except OSError as error:
            return [], Violation("the kernel channel failed: %s" % error, 0)
        if not chunk:
            return [], None
        self.buffer += chunk
        events = []
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > MAX_KERNEL_LINE:
                    return events, Violation("a message over %d MiB" % (MAX_KERNEL_LINE >> 20), 1)
                return events, None
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            event = self._accept(parse_kernel_event(line))
            if event is None:
                return events, Violation("an unexpected or malformed message", 1 + self._count_lines())
            events.append(event)

    def _accept(self, event):
        """Keeps an event only if it is what this kernel may say now."""
        if event is None:
            return None
        if event["type"] == "ready":
            if self.ready:
                return None
            self.ready = True
            return event
        if self.run_token is None or event.pop("run") != self.run_token:
            return None
        if event["type"] == "started":
            # Once per run, before its code runs: another is forged, and would stretch the deadline.
            if self.started_run == self.run_token:
                return None
            self.started_run = self.run_token
        if event["type"] == "done":
            # Nothing may follow a run's end, not even in the same read.
            self.run_token = None
        return event

    def _count_lines(self):
        """The rest of what was read is not looked at, only counted, for the report."""
        return self.buffer.count(b"\n")

    def close(self):
        for fd in (self.cmd_w, self.evt_r):
            try:
                os.close(fd)
            except OSError:
                pass


def parse_kernel_event(line):
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") not in KERNEL_EVENT_TYPES:
        return None
    kind = event["type"]
    if kind == "ready":
        return {"type": "ready"}
    run = event.get("run")
    if not isinstance(run, str):
        return None
    if kind == "started":
        return {"type": "started", "run": run}
    if kind == "stream":
        if event.get("name") not in ("stdout", "stderr") or not isinstance(event.get("text"), str):
            return None
        return {"type": "stream", "run": run, "name": event["name"], "text": event["text"]}
    if kind == "display":
        data = event.get("data")
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            return None
        display = {"type": "display", "run": run, "data": data, "result": bool(event.get("result"))}
        files = event.get("files")
        if files is not None:
            # A figure's page and a table's CSV, base64 (cib_displays); nothing else.
            if not isinstance(files, dict):
                return None
            if not all(k in DISPLAY_FILE_TYPES and isinstance(v, str) for k, v in files.items()):
                return None
            display["files"] = files
        return display
    error = event.get("error")
    if error is not None and not (
        isinstance(error, dict) and all(isinstance(error.get(k), str) for k in ("name", "value", "traceback"))
    ):
        return None
    truncated = event.get("truncated") or {}
    if not isinstance(truncated, dict):
        return None
    try:
        counts = {k: int(truncated.get(k, 0)) for k in ("stdout", "stderr")}
    except (TypeError, ValueError):
        return None
    dropped = event.get("dropped") or []
    if not isinstance(dropped, list):
        return None
    return {
        "type": "done",
        "run": run,
        "status": "error" if error else "ok",
        "error": error,
        "truncated": counts,
        "dropped": [str(d)[:200] for d in dropped][:10],
    }
