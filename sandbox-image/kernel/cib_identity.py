"""Who runs what in the sandbox: the supervisor as root, user code as the session's own uid.

The container starts as root with four capabilities and nothing else: SETUID and SETGID
(to start the kernel as the sandbox user and to act as that user on /mnt/data), SETPCAP
(to empty the kernel's capability bounding set) and KILL (to stop the sandbox user's
processes). `no-new-privileges` and the seccomp profile stay on. User code therefore
runs under another uid than the supervisor and PID 1: it cannot ptrace or signal them,
open their /proc fds or memory, or change their oom_score_adj. Each container gets its
own uid from the bot, so per-user kernel limits (inotify instances, pipe pages, …) are
per session and never shared with another session or with a user of the host.
"""

import ctypes
import os

PR_CAPBSET_DROP = 24
EINVAL = 22
ENOSYS = 38
# The kernel and everything it starts are the OOM killer's first choice; the supervisor is not.
KERNEL_OOM_SCORE_ADJ = 1000
# Lower CPU priority for user code: a busy run cannot starve the supervisor of the time it
# needs to enforce deadlines (nice only shares CPU inside this container's cgroup).
KERNEL_NICE = 10

_libc = ctypes.CDLL(None, use_errno=True)


class IdentityError(RuntimeError):
    pass


def parse_uid(text):
    try:
        uid = int(text)
    except (TypeError, ValueError):
        raise IdentityError("--sandbox-uid needs a number, got %r" % (text,)) from None
    # Below 2**31: libc's setfsuid returns the previous uid as a C int.
    if not 0 < uid < 2**31:
        raise IdentityError("--sandbox-uid %d is out of range" % uid)
    return uid


def uid_is_mapped(uid, uid_map="/proc/self/uid_map"):
    """Whether the container's user namespace has this uid (setresuid to an unmapped one fails)."""
    try:
        with open(uid_map) as handle:
            for line in handle:
                inside, _outside, count = (int(part) for part in line.split())
                if inside <= uid < inside + count:
                    return True
    except (OSError, ValueError):
        return True  # no user namespaces to ask: every uid exists
    return False


class SandboxIdentity:
    def __init__(self, uid):
        self.uid = uid
        self.gid = uid

    def check_supervisor(self):
        """The supervisor must be root to switch users; say so plainly when it is not."""
        if os.geteuid() != 0:
            raise IdentityError(
                "the supervisor runs as uid %d, but it must start as root (with CAP_SETUID, CAP_SETGID, "
                "CAP_SETPCAP and CAP_KILL) to run user code under its own uid" % os.geteuid()
            )
        if not uid_is_mapped(self.uid):
            raise IdentityError(
                "uid %d is not mapped into this container (rootless Docker or userns-remap map only "
                "their subordinate range); the bot picks uids below 65536 on such engines" % self.uid
            )
        os.setgroups([])

    def become_sandbox_user(self):
        """Runs in the kernel's child process between fork and exec, while it is still root."""
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write(str(KERNEL_OOM_SCORE_ADJ))
        os.nice(KERNEL_NICE)
        try:
            with open("/proc/sys/kernel/cap_last_cap") as handle:
                last_cap = int(handle.read())
        except FileNotFoundError:
            # gVisor has no such file; dropping a capability the kernel lacks fails with EINVAL.
            last_cap = 63
        for cap in range(last_cap + 1):
            if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != EINVAL:
                raise IdentityError("could not drop capability %d from the bounding set" % cap)
        os.setgroups([])
        os.setresgid(self.gid, self.gid, self.gid)
        os.setresuid(self.uid, self.uid, self.uid)
        if os.getresuid() != (self.uid,) * 3 or os.getresgid() != (self.gid,) * 3:
            raise IdentityError("the kernel did not become uid %d" % self.uid)

    def files(self):
        """A context in which the supervisor's file access is the sandbox user's (see FileIdentity)."""
        return FileIdentity(self.uid, self.gid)


class FileIdentity:
    """Switches only the file-system uid and gid (setfsuid/setfsgid).

    Files the supervisor creates then belong to the sandbox user, and the kernel checks every
    path as it would for user code, so a planted link or a chmod cannot make the supervisor
    read or write anything user code could not. Unlike seteuid, this leaves the uids that
    signals, ptrace and /proc ownership look at untouched: the supervisor stays out of reach
    while it works on the user's files. The supervisor is single-threaded, which matters
    because these calls change only the calling thread.

    gVisor (SANDBOX_RUNTIME=runsc) has no setfsuid (ENOSYS, google/gvisor#260). There the
    effective ids change instead, which the file checks follow just the same. It leaves the
    supervisor as hard to reach: kill(2) and ptrace compare against its real and saved uids,
    which stay 0, and a change of effective uid makes it non-dumpable, so its /proc files stay
    root's.
    """

    def __init__(self, uid, gid):
        self.uid = uid
        self.gid = gid
        self.effective = False

    def __enter__(self):
        _libc.setfsgid(self.gid)
        _libc.setfsuid(self.uid)
        # setfsuid reports failure only by leaving the value unchanged; -1 reads it back.
        if _libc.setfsuid(-1) == self.uid:
            return self
        if ctypes.get_errno() != ENOSYS:
            raise IdentityError("could not act as uid %d on /mnt/data" % self.uid)
        os.setegid(self.gid)
        os.seteuid(self.uid)
        self.effective = True
        return self

    def __exit__(self, *exc):
        if self.effective:
            os.seteuid(0)
            os.setegid(0)
            self.effective = False
        else:
            _libc.setfsuid(0)
            _libc.setfsgid(0)
        return False
