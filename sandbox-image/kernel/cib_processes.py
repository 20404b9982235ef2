"""The container's processes, seen from the supervisor: stopping them, and the cgroup's counters.

The supervisor holds CAP_KILL, so it can stop the sandbox user's processes, while they
(another uid, no capabilities) cannot signal it or PID 1.
"""

import os
import signal
import time


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


def living_pids(keep):
    """Processes of the container other than PID 1, this one and `keep`, zombies left out."""
    own = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if pid == 1 or pid == own or pid in keep or is_zombie(pid):
            continue
        found.append(pid)
    return found


def kill_other_processes(keep):
    """SIGKILLs every process in the container but `keep`; repeats to catch fork bombs mid-fork.

    A process with a pending SIGKILL cannot finish a fork, so each round can only leave
    children that were already forked when it listed /proc; the pids limit bounds them.
    """
    killed = set()
    for _round in range(200):
        pids = living_pids(keep)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                continue
        time.sleep(0.002)
    return killed


def reap_children():
    """Collects the exit status of this process's dead children, so they free their pids.

    The kernel calls it too: processes the supervisor stopped are the kernel's children.
    """
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
