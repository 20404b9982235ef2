"""The sandbox supervisor: the container's main process, below Docker's init.

It speaks newline-delimited JSON with the bot over the container's stdin/stdout and
keeps the Python kernel (kernel.py) as a child process. Because it outlives the kernel,
a crash, an out-of-memory kill or a run that ignores KeyboardInterrupt costs only the
kernel: the container, its /mnt/data and the channel to the bot stay. Everything the
kernel sends is untrusted (user code shares its process): sizes are bounded, messages
are validated, and a kernel that breaks the protocol is replaced.
"""

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Run with -I (isolated), so the script's own directory is not on sys.path by default.
sys.path.insert(0, HERE)
import cib_files as files  # noqa: E402
MAX_KERNEL_LINE = 24 * 1024 * 1024
MAX_BOT_LINE = 64 * 1024 * 1024
START_FAILURES_BEFORE_GIVING_UP = 3
KERNEL_EVENT_TYPES = {"ready", "stream", "display", "done"}


def now_ms():
    return time.monotonic() * 1000


class BotChannel:
    """stdin/stdout of the container. The bot is trusted, but its lines are still bounded."""

    def __init__(self):
        self.fd_in = sys.stdin.fileno()
        os.set_blocking(self.fd_in, False)
        self._buffer = bytearray()
        self.closed = False

    def send(self, message):
        data = (json.dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            try:
                written = os.write(1, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            view = view[written:]

    def read_messages(self):
        try:
            chunk = os.read(self.fd_in, 1 << 20)
        except BlockingIOError:
            return []
        if not chunk:
            self.closed = True
            return []
        self._buffer += chunk
        messages = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_BOT_LINE:
                    self._buffer.clear()
                    self.send({"type": "failure", "id": None, "message": "request line too long"})
                return messages
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            try:
                message = json.loads(line)
            except ValueError:
                self.send({"type": "failure", "id": None, "message": "request is not JSON"})
                continue
            if isinstance(message, dict):
                messages.append(message)


class Kernel:
    """One kernel child process and the pipes to it."""

    def __init__(self):
        cmd_r, self.cmd_w = os.pipe()
        self.evt_r, evt_w = os.pipe()
        env = dict(os.environ)
        env["CIB_CMD_FD"] = str(cmd_r)
        env["CIB_EVT_FD"] = str(evt_w)
        env["MPLBACKEND"] = "module://cib_figures"
        self.process = subprocess.Popen(
            [sys.executable, "-u", os.path.join(HERE, "kernel.py")],
            stdin=subprocess.DEVNULL,
            stdout=2,
            stderr=2,
            pass_fds=(cmd_r, evt_w),
            cwd=files.DATA_DIR,
            env=env,
            start_new_session=True,
        )
        os.close(cmd_r)
        os.close(evt_w)
        os.set_blocking(self.evt_r, False)
        self.buffer = bytearray()
        self.ready = False
        self.pid = self.process.pid

    def send(self, message):
        data = (json.dumps(message) + "\n").encode()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.cmd_w, view) :]
            return True
        except OSError:
            return False

    def read_events(self):
        """Returns (events, problem). A problem means the channel can no longer be trusted."""
        try:
            chunk = os.read(self.evt_r, 1 << 20)
        except BlockingIOError:
            return [], None
        except OSError as error:
            return [], "the kernel channel failed: %s" % error
        if not chunk:
            return [], None
        self.buffer += chunk
        events = []
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > MAX_KERNEL_LINE:
                    return events, "the kernel sent a message over %d MiB" % (MAX_KERNEL_LINE >> 20)
                return events, None
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            event = parse_kernel_event(line)
            if event is None:
                return events, "the kernel sent a malformed message"
            events.append(event)

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
    if kind == "stream":
        if event.get("name") not in ("stdout", "stderr") or not isinstance(event.get("text"), str):
            return None
        return {"type": "stream", "name": event["name"], "text": event["text"]}
    if kind == "display":
        data = event.get("data")
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            return None
        return {"type": "display", "data": data, "result": bool(event.get("result"))}
    if kind == "done":
        error = event.get("error")
        if error is not None and not (
            isinstance(error, dict) and all(isinstance(error.get(k), str) for k in ("name", "value", "traceback"))
        ):
            return None
        truncated = event.get("truncated") or {}
        return {
            "type": "done",
            "status": "error" if error else "ok",
            "error": error,
            "truncated": {k: int(truncated.get(k, 0)) for k in ("stdout", "stderr")},
            "dropped": [str(d)[:200] for d in (event.get("dropped") or [])][:10],
        }
    return {"type": "ready"}


def cgroup_counter(candidates):
    """Reads one counter from the container's cgroup files (v2 first, then v1); None if absent."""
    for path, key in candidates:
        try:
            with open(path) as handle:
                for line in handle:
                    parts = line.split()
                    if len(parts) == 2 and parts[0] == key:
                        return int(parts[1])
        except (OSError, ValueError):
            continue
    return None


def oom_kill_count():
    """How many processes the OOM killer has killed in this container so far."""
    return cgroup_counter(
        (("/sys/fs/cgroup/memory.events", "oom_kill"), ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill"))
    )


def pids_limit_hits():
    """How many times a fork was refused because the container's pids limit was reached."""
    return cgroup_counter((("/sys/fs/cgroup/pids.events", "max"), ("/sys/fs/cgroup/pids/pids.events", "max")))


def is_zombie(pid):
    """A zombie is already dead; it only waits to be reaped, and kill() on it still succeeds."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            # The state follows the command name, which is in parentheses and may hold spaces.
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def kill_other_processes(keep):
    """SIGKILLs every process in the container but `keep`; repeats to catch fork bombs mid-fork."""
    killed = set()
    for _round in range(50):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            if pid in keep or pid == 1 or is_zombie(pid):
                continue
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
                found = True
            except (ProcessLookupError, PermissionError):
                continue
        if not found:
            break
        time.sleep(0.01)
    return killed


def reap_children():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Execution:
    def __init__(self, request):
        self.id = request.get("id")
        self.timeout_ms = float(request.get("timeout_ms", 120_000))
        self.grace_ms = float(request.get("grace_ms", 3_000))
        self.code = request.get("code") if isinstance(request.get("code"), str) else ""
        self.output_limit = int(request.get("output_limit", 1 << 20))
        self.started_ms = now_ms()
        self.deadline_ms = self.started_ms + self.timeout_ms
        self.kill_at_ms = None
        self.interrupt_reason = None
        self.files_before = files.snapshot()
        self.oom_before = oom_kill_count()
        self.pids_hits_before = pids_limit_hits()
        self.sent_to_kernel = False


class Supervisor:
    def __init__(self):
        self.bot = BotChannel()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.bot.fd_in, selectors.EVENT_READ, "bot")
        self.kernel = None
        self.execution = None
        self.pending_acks = []  # request ids answered once the new kernel is ready
        self.restarts = 0
        self.start_failures = 0
        self.broken_reason = None
        self.announced_ready = False

    # --- kernel lifecycle -------------------------------------------------
    def start_kernel(self):
        self.kernel = Kernel()
        self.selector.register(self.kernel.evt_r, selectors.EVENT_READ, "kernel")

    def stop_kernel(self):
        """Kills the kernel and everything it started; returns how many processes besides it."""
        if self.kernel is None:
            return 0
        try:
            self.selector.unregister(self.kernel.evt_r)
        except (KeyError, ValueError):
            pass
        killed = kill_other_processes({os.getpid()})
        killed.discard(self.kernel.pid)
        self.kernel.close()
        try:
            self.kernel.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        reap_children()
        self.kernel = None
        return len(killed)

    def restart_kernel(self):
        """Replaces the kernel; returns how many processes other than the kernel were stopped."""
        killed = self.stop_kernel()
        self.restarts += 1
        self.start_kernel()
        return killed

    def kernel_exit_reason(self, execution):
        code = self.kernel.process.poll() if self.kernel else None
        oom_after = oom_kill_count()
        oom_before = execution.oom_before if execution else None
        if oom_after is not None and oom_before is not None and oom_after > oom_before:
            return "oom", "the code used more memory than the sandbox allows and the Python process was killed"
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return "crashed", "the Python process was killed by signal %s" % name
        return "crashed", "the Python process exited with code %s" % code

    # --- the main loop ------------------------------------------------------
    def run(self):
        files.prepare()
        self.start_kernel()
        while not self.bot.closed:
            timeout = self.next_timeout()
            for key, _mask in self.selector.select(timeout):
                if key.data == "bot":
                    for message in self.bot.read_messages():
                        self.handle_request(message)
                elif key.data == "kernel" and self.kernel is not None:
                    self.handle_kernel_output()
            self.check_kernel_alive()
            self.check_deadlines()
        self.stop_kernel()

    def next_timeout(self):
        if self.execution is None:
            return 0.5
        return 0.05

    def handle_kernel_output(self):
        events, problem = self.kernel.read_events()
        for event in events:
            self.handle_kernel_event(event)
            if self.kernel is None:
                return
        if problem:
            self.replace_broken_kernel("crashed", problem)

    def handle_kernel_event(self, event):
        kind = event["type"]
        if kind == "ready":
            self.kernel.ready = True
            self.start_failures = 0
            self.broken_reason = None
            if not self.announced_ready:
                self.announced_ready = True
                self.bot.send({"type": "ready", "kernel_pid": self.kernel.pid, "protocol": 1})
            for request_id in self.pending_acks:
                self.bot.send({"type": "ack", "id": request_id})
            self.pending_acks = []
            if self.execution is not None and not self.execution.sent_to_kernel:
                self.send_execution()
            return
        if self.execution is None:
            return  # output of a run the bot no longer waits for
        if kind in ("stream", "display"):
            event["id"] = self.execution.id
            self.bot.send(event)
        elif kind == "done":
            self.finish_execution(event)

    def check_kernel_alive(self):
        if self.kernel is None or self.kernel.process.poll() is None:
            return
        # Read what it said before dying, so its last output is not lost.
        self.handle_kernel_output()
        if self.kernel is None or self.kernel.process.poll() is None:
            return
        if not self.kernel.ready:
            self.start_failures += 1
            if self.start_failures >= START_FAILURES_BEFORE_GIVING_UP:
                self.broken_reason = "the Python kernel cannot start (exit code %s)" % self.kernel.process.poll()
                self.stop_kernel()
                self.fail_execution("crashed", self.broken_reason, restarted=False)
                return
        status, reason = self.kernel_exit_reason(self.execution)
        self.replace_broken_kernel(status, reason)

    def replace_broken_kernel(self, status, reason):
        strays = self.restart_kernel()
        if self.execution is not None and self.execution.sent_to_kernel:
            self.fail_execution(status, reason, restarted=True, stopped_processes=strays)
        else:
            self.bot.send({"type": "kernel_restarted", "reason": reason})

    def check_deadlines(self):
        execution = self.execution
        if execution is None or not execution.sent_to_kernel:
            return
        current = now_ms()
        if execution.kill_at_ms is None and current >= execution.deadline_ms:
            self.interrupt("timeout")
        elif execution.kill_at_ms is not None and current >= execution.kill_at_ms:
            reason = execution.interrupt_reason or "timeout"
            strays = self.restart_kernel()
            self.fail_execution(
                reason,
                "the code did not stop within %.1f s of being interrupted, so the Python process was restarted"
                % (execution.grace_ms / 1000),
                restarted=True,
                stopped_processes=strays,
            )

    def interrupt(self, reason):
        execution = self.execution
        if execution is None or execution.kill_at_ms is not None or self.kernel is None:
            return
        execution.interrupt_reason = reason
        execution.kill_at_ms = now_ms() + execution.grace_ms
        try:
            os.kill(self.kernel.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    # --- executions -----------------------------------------------------------
    def send_execution(self):
        execution = self.execution
        execution.sent_to_kernel = True
        execution.started_ms = now_ms()
        execution.deadline_ms = execution.started_ms + execution.timeout_ms
        ok = self.kernel.send({"type": "execute", "code": execution.code, "output_limit": execution.output_limit})
        if not ok:
            self.replace_broken_kernel("crashed", "the kernel stopped reading its commands")

    def finish_execution(self, done):
        execution = self.execution
        status = done["status"]
        extra = {}
        if execution.interrupt_reason is not None:
            status = execution.interrupt_reason
            # Whatever the interrupted code started in the background goes with it.
            strays = len(kill_other_processes({os.getpid(), self.kernel.pid}))
            reap_children()
            if strays:
                extra["stopped_processes"] = strays
        self.send_result(status, error=done["error"], truncated=done["truncated"], dropped=done["dropped"], **extra)

    def fail_execution(self, status, reason, restarted, **extra):
        if self.execution is None:
            return
        self.send_result(status, error=None, reason=reason, restarted=restarted, **extra)

    def send_result(self, status, **fields):
        execution = self.execution
        self.execution = None
        changed, more = files.changed_since(execution.files_before)
        hits_after = pids_limit_hits()
        if hits_after is not None and execution.pids_hits_before is not None and hits_after > execution.pids_hits_before:
            fields["pids_limit_hit"] = True
        result = {
            "type": "result",
            "id": execution.id,
            "status": status,
            "duration_ms": round(now_ms() - execution.started_ms, 3),
            "files": changed,
            "more_files": more,
        }
        result.update(fields)
        self.bot.send(result)

    # --- requests from the bot ---------------------------------------------------
    def handle_request(self, message):
        kind = message.get("type")
        request_id = message.get("id")
        try:
            if kind == "execute":
                self.handle_execute(message)
            elif kind == "interrupt":
                if self.execution is not None and self.execution.id == message.get("execution_id"):
                    self.interrupt(str(message.get("reason") or "cancelled"))
                self.bot.send({"type": "ack", "id": request_id})
            elif kind == "ping":
                self.bot.send({"type": "pong", "id": request_id, **self.state()})
            elif kind == "restart":
                self.handle_restart(message)
            elif kind in files.REQUEST_TYPES:
                for reply in files.handle(message):
                    self.bot.send(reply)
            else:
                self.bot.send({"type": "failure", "id": request_id, "message": "unknown request %r" % kind})
        except Exception as error:  # noqa: BLE001 - one bad request must not end the session
            self.bot.send({"type": "failure", "id": request_id, "message": "%s: %s" % (type(error).__name__, error)})

    def state(self):
        if self.broken_reason:
            state = "broken"
        elif self.execution is not None:
            state = "busy"
        elif self.kernel is not None and self.kernel.ready:
            state = "idle"
        else:
            state = "starting"
        return {"state": state, "kernel_pid": self.kernel.pid if self.kernel else None, "restarts": self.restarts}

    def handle_execute(self, message):
        if self.execution is not None:
            self.bot.send({"type": "failure", "id": message.get("id"), "message": "busy: another run is in progress"})
            return
        self.execution = Execution(message)
        if self.broken_reason:
            # Try once more: the failure may have been passing (e.g. the pids limit was full).
            self.broken_reason = None
            self.start_failures = 0
            self.start_kernel()
        if self.kernel is not None and self.kernel.ready:
            self.send_execution()

    def handle_restart(self, message):
        if self.execution is not None:
            self.fail_execution("cancelled", "the session was reset", restarted=True)
        if message.get("clear_files"):
            files.clear()
        self.restart_kernel()
        self.pending_acks.append(message.get("id"))


def prepare_matplotlib_cache():
    """Copies the font cache built into the image where matplotlib can use it (the image is read-only)."""
    target = os.environ.get("MPLCONFIGDIR")
    source = os.path.join(HERE, "matplotlib")
    if not target or not os.path.isdir(source):
        return
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(source):
        if name.endswith(".json"):
            shutil.copyfile(os.path.join(source, name), os.path.join(target, name))


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    prepare_matplotlib_cache()
    Supervisor().run()


if __name__ == "__main__":
    main()
