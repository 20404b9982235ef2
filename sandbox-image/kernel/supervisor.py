"""The sandbox supervisor: the container's main process, below Docker's init.

It speaks newline-delimited JSON with the bot over the container's stdin/stdout and keeps
the Python kernel (kernel.py) as a child process. It runs as root with four capabilities
(cib_identity) and starts the kernel as the session's own unprivileged uid, so user code
cannot reach it, PID 1 or the channel to the bot. Because it outlives the kernel, a crash,
an out-of-memory kill or a run that ignores KeyboardInterrupt costs only the kernel: the
container, its /mnt/data and the channel stay. Everything the kernel sends is untrusted:
sizes are bounded, each run's events must carry that run's token (cib_kernel_link), and
processes a run leaves behind are stopped when it ends, before the next run is sent.
"""

import argparse
import os
import secrets
import selectors
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Run with -I (isolated), so the script's own directory is not on sys.path by default.
sys.path.insert(0, HERE)
from cib_bot_channel import BotChannel  # noqa: E402
from cib_files import DATA_DIR, REQUEST_TYPES, DataFolder  # noqa: E402
from cib_identity import IdentityError, SandboxIdentity, parse_uid  # noqa: E402
from cib_kernel_link import PREIMPORT_WAIT_SECONDS, KernelLink  # noqa: E402
from cib_processes import kill_other_processes, oom_kill_count, pids_limit_hits, reap_children  # noqa: E402

START_FAILURES_BEFORE_GIVING_UP = 3


def now_ms():
    return time.monotonic() * 1000


class Execution:
    def __init__(self, request, files_before):
        self.id = request.get("id")
        self.timeout_ms = float(request.get("timeout_ms", 120_000))
        self.grace_ms = float(request.get("grace_ms", 3_000))
        self.code = request.get("code") if isinstance(request.get("code"), str) else ""
        self.output_limit = int(request.get("output_limit", 1 << 20))
        # A warm-up runs no code: the kernel pays its first-use costs (kernel.py, warm_up).
        self.warmup = request.get("warmup") is True
        self.started_ms = now_ms()
        self.deadline_ms = self.started_ms + self.timeout_ms
        self.kill_at_ms = None
        self.interrupt_reason = None
        self.files_before = files_before
        self.oom_before = oom_kill_count()
        self.pids_hits_before = pids_limit_hits()
        self.sent_to_kernel = False


class Supervisor:
    def __init__(self, identity):
        self.identity = identity
        self.data = DataFolder(identity)
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
        # Why Python restarted while no run was waiting: said in the next run's result, so the
        # person hears of it even when no bot was attached at the time.
        self.unreported_restarts = []

    # --- kernel lifecycle -------------------------------------------------
    def start_kernel(self):
        try:
            self.kernel = KernelLink(self.identity, DATA_DIR)
        except (OSError, subprocess.SubprocessError) as error:
            # E.g. no pid left to fork; the next request tries again.
            self.kernel = None
            self.start_failures += 1
            self.broken_reason = "the Python kernel cannot start (%s)" % error
            return
        self.selector.register(self.kernel.evt_r, selectors.EVENT_READ, "kernel")

    def stop_kernel(self):
        """Kills the kernel and everything it started; returns how many processes besides it."""
        killed = kill_other_processes(set())
        if self.kernel is None:
            reap_children()
            return len(killed)
        try:
            self.selector.unregister(self.kernel.evt_r)
        except (KeyError, ValueError):
            pass
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

    def stop_leftovers(self, reap=True):
        """Stops every process but the kernel, then lets the kernel collect its dead children."""
        if self.kernel is None:
            return 0
        stopped = len(kill_other_processes({self.kernel.pid}))
        # Also for children that ended by themselves after the kernel last looked.
        if reap:
            self.kernel.send({"type": "reap"})
        return stopped

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
        self.data.prepare()
        self.start_kernel()
        while not self.bot.closed:
            timeout = 0.05 if self.execution is not None else 0.5
            for key, _mask in self.selector.select(timeout):
                if key.data == "bot":
                    for message in self.bot.read_messages():
                        self.handle_request(message)
                elif key.data == "kernel" and self.kernel is not None:
                    self.handle_kernel_output()
            self.check_kernel_alive()
            self.check_deadlines()
        self.stop_kernel()

    def handle_kernel_output(self):
        events, violation = self.kernel.read_events()
        for event in events:
            self.handle_kernel_event(event)
            if self.kernel is None:
                return
        if violation is not None:
            # What exactly was wrong is user code's business; the count tells the size of it.
            reason = "code in it wrote %d forged, malformed or out-of-turn line(s) to the sandbox's control channel" % (
                max(violation.lines, 1)
            )
            self.replace_broken_kernel("crashed", reason, protocol_violations=max(violation.lines, 1))

    def handle_kernel_event(self, event):
        kind = event["type"]
        if kind == "ready":
            self.start_failures = 0
            self.broken_reason = None
            if not self.announced_ready:
                self.announced_ready = True
                self.bot.send({"type": "ready", "kernel_pid": self.kernel.pid, "protocol": 2})
            for request_id in self.pending_acks:
                self.bot.send({"type": "ack", "id": request_id})
            self.pending_acks = []
            if self.execution is not None and not self.execution.sent_to_kernel:
                self.send_execution()
            return
        if kind == "started":
            # The kernel waited for its background imports before this: not the code's time.
            execution = self.execution
            if execution is not None and execution.kill_at_ms is None:
                execution.started_ms = now_ms()
                execution.deadline_ms = execution.started_ms + execution.timeout_ms
        elif kind in ("stream", "display"):
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

    def replace_broken_kernel(self, status, reason, **extra):
        strays = self.restart_kernel()
        if self.execution is not None and self.execution.sent_to_kernel:
            self.fail_execution(status, reason, restarted=True, stopped_processes=strays, **extra)
        else:
            self.unreported_restarts = (self.unreported_restarts + [reason])[-5:]
            self.bot.send({"type": "kernel_restarted", "reason": reason, **extra})

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
        # Processes started between runs (by a thread the last run left) must not see this run.
        # The kernel collects them itself as the run starts, so no separate reap is asked for.
        self.stop_leftovers(reap=False)
        execution.sent_to_kernel = True
        execution.started_ms = now_ms()
        # Until the kernel says the code started, it may still be waiting for its background
        # imports (seconds under gVisor): the code's own limit starts with "started", and this
        # deadline only bounds a kernel that never says so.
        execution.deadline_ms = execution.started_ms + PREIMPORT_WAIT_SECONDS * 1000 + execution.timeout_ms
        token = secrets.token_hex(16)
        self.kernel.run_token = token
        message = {"type": "execute", "run": token, "code": execution.code, "output_limit": execution.output_limit}
        if execution.warmup:
            message["warmup"] = True
        if not self.kernel.send(message):
            self.replace_broken_kernel("crashed", "the kernel stopped reading its commands")

    def finish_execution(self, done):
        execution = self.execution
        status = execution.interrupt_reason or done["status"]
        extra = {}
        # Whatever the code started in the background ends with the run.
        strays = self.stop_leftovers()
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
        if self.kernel is not None:
            self.kernel.run_token = None
        changes = self.data.changed_since(execution.files_before)
        hits_after = pids_limit_hits()
        if hits_after is not None and execution.pids_hits_before is not None and hits_after > execution.pids_hits_before:
            fields["pids_limit_hit"] = True
        space = self.data.space_report()
        if space is not None:
            fields["data_full"] = space
        if changes.skipped:
            fields["skipped_files"] = changes.skipped
        if self.unreported_restarts:
            fields["restarted_before"] = self.unreported_restarts
            self.unreported_restarts = []
        if changes.removed or changes.more_removed:
            fields["removed_files"] = changes.removed
            fields["more_removed_files"] = changes.more_removed
        result = {
            "type": "result",
            "id": execution.id,
            "status": status,
            "duration_ms": round(now_ms() - execution.started_ms, 3),
            "timeout_ms": execution.timeout_ms,
            "files": changes.changed,
            "more_files": changes.more,
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
            elif kind in REQUEST_TYPES:
                for reply in self.data.handle(message):
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
        return {
            "state": state,
            "kernel_pid": self.kernel.pid if self.kernel else None,
            "restarts": self.restarts,
            # A bot process that adopts this container after the one that asked died stops that run by its id.
            "execution_id": self.execution.id if self.execution is not None else None,
        }

    def handle_execute(self, message):
        if self.execution is not None:
            self.bot.send({"type": "failure", "id": message.get("id"), "message": "busy: another run is in progress"})
            return
        # A kernel that died since the last look is replaced first, and the run goes to the new one.
        self.check_kernel_alive()
        self.execution = Execution(message, self.data.snapshot())
        if self.kernel is None:
            # Try once more: the failure may have been passing (e.g. the pids limit was full).
            self.broken_reason = None
            self.start_failures = 0
            self.start_kernel()
            if self.kernel is None:
                self.fail_execution("crashed", self.broken_reason, restarted=False)
                return
        if self.kernel.ready:
            self.send_execution()

    def handle_restart(self, message):
        if self.execution is not None:
            self.fail_execution("cancelled", "the session was reset", restarted=True)
        if message.get("clear_files"):
            self.data.clear()
        self.restart_kernel()
        if self.kernel is None:
            self.bot.send({"type": "failure", "id": message.get("id"), "message": self.broken_reason})
            return
        self.pending_acks.append(message.get("id"))


def main():
    parser = argparse.ArgumentParser(description="the code-interpreter-bot sandbox supervisor")
    parser.add_argument("--sandbox-uid", required=True, help="the uid user code runs as (one per container)")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        identity = SandboxIdentity(parse_uid(args.sandbox_uid))
        identity.check_supervisor()
    except IdentityError as error:
        sys.stderr.write("supervisor: %s\n" % error)
        sys.exit(2)
    Supervisor(identity).run()


if __name__ == "__main__":
    main()
