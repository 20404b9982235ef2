"""A headless Chromium the kernel drives to take pictures of HTML figures (cib_plotly).

It runs as the sandbox user, a child of the kernel, and speaks the DevTools protocol over two
pipes (--remote-debugging-pipe: it reads commands on fd 3 and answers on fd 4), so it needs
no network and no port. One browser serves every figure of a run and is closed when the run
ends; the supervisor would stop it then anyway, as it stops everything a run leaves behind.

Chromium's own sandbox is off (--no-sandbox): it needs user namespaces or a setuid helper,
which the container's seccomp profile and no-new-privileges forbid, and the pages it opens
are the user's own, drawn inside the same container that already confines their code. For
the same reason software WebGL (--enable-unsafe-swiftshader) is allowed: 3D figures need it.
Every wait has a deadline; a browser that misses one is killed, and the caller reports it.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

CHROMIUM = "chromium-headless-shell"
START_SECONDS = 20.0
CLOSE_SECONDS = 2.0
# What the browser may answer in one message: a screenshot of the largest figure, base64.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# One process (--single-process, --no-zygote) and single-threaded V8: about 35 threads instead
# of 11 processes with 70, which matters under the container's pids limit (threads count), and
# half the memory; the first picture is faster too (about 1.5 s instead of 2.3 s, 1 CPU).
FLAGS = (
    "--remote-debugging-pipe",
    "--single-process",
    "--no-zygote",
    "--js-flags=--single-threaded",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-breakpad",
)


class BrowserError(Exception):
    """The browser could not do what was asked; the message says what, for a person."""


def available():
    return shutil.which(CHROMIUM) is not None


def _high_fd(fd):
    """A copy of fd above 9, so mapping one end onto 3 or 4 in the shell cannot clobber the other."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium with one page; start() it, use it, close() it."""

    def __init__(self):
        self.process = None
        self._to_browser = None
        self._from_browser = None
        self._pending = b""
        self._next_id = 0
        self._session = None
        self._profile = None

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        if not available():
            raise BrowserError("%s is not installed in this sandbox image" % CHROMIUM)
        commands_read, commands_write = (_high_fd(fd) for fd in os.pipe())
        replies_read, replies_write = (_high_fd(fd) for fd in os.pipe())
        self._profile = tempfile.mkdtemp(prefix="cib-browser-")
        # bash (dash takes single-digit fds only) puts the pipes where Chromium expects them;
        # the numbers are ours, not input.
        script = 'exec "$0" "$@" 3<&%d 4>&%d' % (commands_read, replies_write)
        try:
            self.process = subprocess.Popen(
                ["/bin/bash", "-c", script, CHROMIUM, *FLAGS, "--user-data-dir=" + self._profile, "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(commands_read, replies_write),
                # Its own group, so a browser that hangs is stopped with all its helper processes.
                start_new_session=True,
            )
        except OSError as error:
            for fd in (commands_read, commands_write, replies_read, replies_write):
                os.close(fd)
            self._remove_profile()
            raise BrowserError("the browser could not start (%s)" % error) from None
        os.close(commands_read)
        os.close(replies_write)
        self._to_browser = commands_write
        self._from_browser = replies_read
        os.set_blocking(self._to_browser, False)
        os.set_blocking(self._from_browser, False)
        target = self.call("Target.createTarget", {"url": "about:blank"}, timeout=START_SECONDS)["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]

    def open(self, path, ready_expression, timeout):
        """Loads a local page and waits until `ready_expression` is true in it."""
        self.call("Page.navigate", {"url": "file://" + path}, timeout=timeout, session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.evaluate(ready_expression, timeout=max(deadline - time.monotonic(), 0.1)):
                    return
            except BrowserError:
                # The old document may still answer, or be going away, while the new one loads.
                if not self.running:
                    raise
            if time.monotonic() > deadline:
                raise BrowserError("the page did not load within %d s" % timeout)
            time.sleep(0.02)

    def evaluate(self, expression, timeout):
        """The value of a JavaScript expression in the page, promises awaited."""
        params = {"expression": expression, "awaitPromise": True, "returnByValue": True}
        result = self.call("Runtime.evaluate", params, timeout=timeout, session=True)
        thrown = result.get("exceptionDetails")
        if thrown:
            text = thrown.get("exception", {}).get("description") or thrown.get("text") or "an error"
            raise BrowserError("the page failed: %s" % str(text).splitlines()[0][:300])
        return result.get("result", {}).get("value")

    def screenshot(self, width, height, timeout):
        """PNG bytes of the page's top-left width x height CSS pixels."""
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        result = self.call("Page.captureScreenshot", {"format": "png", "clip": clip}, timeout=timeout, session=True)
        return base64.b64decode(result["data"])

    def resize(self, width, height):
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, timeout=START_SECONDS, session=True)

    def call(self, method, params, timeout=START_SECONDS, session=False):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        deadline = time.monotonic() + timeout
        self._write(json.dumps(message).encode() + b"\0", deadline)
        while True:
            reply = self._read(deadline)
            if reply.get("id") != message["id"]:
                continue  # an event; none is needed
            if "error" in reply:
                raise BrowserError("%s failed: %s" % (method, reply["error"].get("message", "unknown error")))
            return reply.get("result", {})

    def _write(self, data, deadline):
        view = memoryview(data)
        while view:
            if not select.select([], [self._to_browser], [], self._left(deadline))[1]:
                raise BrowserError("the browser stopped reading (no answer in time)")
            try:
                view = view[os.write(self._to_browser, view) :]
            except BlockingIOError:
                continue
            except OSError as error:
                raise BrowserError("the browser went away (%s)" % error) from None

    def _read(self, deadline):
        while b"\0" not in self._pending:
            if not select.select([self._from_browser], [], [], self._left(deadline))[0]:
                raise BrowserError("the browser did not answer in time")
            try:
                chunk = os.read(self._from_browser, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise BrowserError(
                    "the browser stopped before it answered: the sandbox may be out of memory or processes"
                )
            self._pending += chunk
            if len(self._pending) > MAX_MESSAGE_BYTES:
                raise BrowserError("the browser sent a message over %d MiB" % (MAX_MESSAGE_BYTES >> 20))
        line, _, self._pending = self._pending.partition(b"\0")
        return json.loads(line)

    @staticmethod
    def _left(deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise BrowserError("the browser did not answer in time")
        return left

    def close(self):
        """Ends the browser, politely if it answers and by force if not, and removes its profile."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                self.call("Browser.close", {}, timeout=CLOSE_SECONDS)
            except (BrowserError, ValueError, KeyError):
                pass
            try:
                process.wait(CLOSE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                process.wait(CLOSE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        for fd in (self._to_browser, self._from_browser):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to_browser = self._from_browser = self._session = None
        self._pending = b""
        self._remove_profile()

    def _remove_profile(self):
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None
