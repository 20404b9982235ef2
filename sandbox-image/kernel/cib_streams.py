"""Standard streams of the kernel: what user code writes to stdout and stderr becomes data.

fd 0 is /dev/null; fds 1 and 2 are capture pipes whose bytes a pump thread frames as
`stream` events, and sys.stdout / sys.stderr write straight to the same sink. Nothing
user code prints is ever read as a command. A run may replace sys.stdout, close fd 1 or
point it elsewhere; `StandardStreams.install()` puts everything back at the start of the
next run, so one run cannot silence the runs after it.
"""

import codecs
import fcntl
import os
import sys
import threading
import time

STREAM_FLUSH_BYTES = 16 * 1024
STREAM_FLUSH_SECONDS = 0.05
HIGH_FD_BASE = 220


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
    """A pipe for fd 1 or 2, and the thread that forwards what subprocesses and C code write to it.

    A marker written into the pipe tells when the thread has caught up: the pipe is first in,
    first out, so once the thread has passed the marker, everything written before it has
    reached the sink.
    """

    def __init__(self, name, sink):
        read_end, write_end = os.pipe()
        # Our own copies live high and close on exec; only fd 1/2 reach subprocesses.
        self.read_end = _move_high(read_end)
        self.write_end = _move_high(write_end)
        self._name = name
        self._sink = sink
        self._marker = b"\0cib-drain-" + os.urandom(8).hex().encode() + b"\0"
        self._passed_marker = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="capture-" + name, daemon=True)
        self._thread.start()

    def alive(self):
        return self._thread.is_alive()

    def send_marker(self):
        """Puts the marker into the pipe; False if this pump cannot pass it (then nobody waits)."""
        if not self.alive():
            return False
        self._passed_marker.clear()
        try:
            os.write(self.write_end, self._marker)
        except OSError:
            return False
        return True

    def wait_for_marker(self, timeout):
        self._passed_marker.wait(timeout)

    def _pump(self):
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        held = b""  # the end of a read that may be the start of a marker
        while True:
            try:
                chunk = os.read(self.read_end, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            data = held + chunk
            while True:
                index = data.find(self._marker)
                if index < 0:
                    break
                self._sink.write(self._name, decoder.decode(data[:index]))
                data = data[index + len(self._marker) :]
                self._passed_marker.set()
            keep = _marker_prefix_length(data, self._marker)
            held = data[len(data) - keep :] if keep else b""
            self._sink.write(self._name, decoder.decode(data[: len(data) - keep]))


def _marker_prefix_length(data, marker):
    """How many bytes at the end of data could begin the marker (which starts with a NUL byte)."""
    start = data.find(b"\0", max(len(data) - len(marker) + 1, 0))
    while start >= 0:
        if marker.startswith(data[start:]):
            return len(data) - start
        start = data.find(b"\0", start + 1)
    return 0


def _move_high(fd):
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD_BASE)
    os.close(fd)
    return moved


class StandardStreams:
    """Owns fd 0/1/2 and sys.stdin/stdout/stderr of the kernel, and restores them on demand."""

    def __init__(self, sink):
        self._sink = sink
        self._pumps = {}
        self.stdout = PythonStream(sink, "stdout", 1)
        self.stderr = PythonStream(sink, "stderr", 2)
        self.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
        self._devnull = _move_high(os.open(os.devnull, os.O_RDONLY))
        self.install()

    @property
    def pumps(self):
        return list(self._pumps.values())

    def install(self):
        for fd, name in ((1, "stdout"), (2, "stderr")):
            pump = self._pumps.get(fd)
            if pump is None or not pump.alive() or not _dup_onto(pump.write_end, fd):
                pump = self._pumps[fd] = CapturePump(name, self._sink)
                os.dup2(pump.write_end, fd)
        if not _dup_onto(self._devnull, 0):
            self._devnull = _move_high(os.open(os.devnull, os.O_RDONLY))
            os.dup2(self._devnull, 0)
        sys.stdin = sys.__stdin__ = self.stdin
        sys.stdout = sys.__stdout__ = self.stdout
        sys.stderr = sys.__stderr__ = self.stderr

    def wait_until_drained(self, timeout=2.0):
        """Returns once what was written to fd 1 and 2 so far has reached the sink."""
        # Both markers first, then both waits: the two pumps pass theirs at the same time.
        marked = [pump for pump in self.pumps if pump.send_marker()]
        for pump in marked:
            pump.wait_for_marker(timeout)


def _dup_onto(source, target):
    try:
        os.dup2(source, target)
        return True
    except OSError:
        return False


def periodic_flush(sink):
    while True:
        time.sleep(STREAM_FLUSH_SECONDS)
        sink.flush()
