import { describe, expect, it } from "vitest";
import {
  SECCOMP_DENIED,
  type SeccompAction,
  type SeccompProfile,
  sandboxSeccompProfile,
  unconditionallyAllowedSyscalls,
} from "../../src/sandbox/seccomp-profile.ts";

const profile = sandboxSeccompProfile();

/** What the filter does with a call, as libseccomp would decide it for this profile's rules. */
function verdict(p: SeccompProfile, name: string, args: readonly number[] = []): SeccompAction | number {
  for (const rule of p.syscalls) {
    if (!rule.names.includes(name)) continue;
    const holds = (rule.args ?? []).every((cond) => {
      const arg = BigInt(args[cond.index] ?? 0);
      if (cond.op === "SCMP_CMP_EQ") return arg === BigInt(cond.value);
      return (arg & BigInt(cond.value)) === BigInt(cond.valueTwo);
    });
    if (!holds) continue;
    return rule.action === "SCMP_ACT_ALLOW" ? "SCMP_ACT_ALLOW" : (rule.errnoRet ?? p.defaultErrnoRet);
  }
  return p.defaultErrnoRet;
}

const ALLOW = "SCMP_ACT_ALLOW";
const EPERM = 1;
const ENOSYS = 38;

// Written out again, so that dropping one of these from SECCOMP_DENIED fails here.
const MUST_BE_DENIED = [
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "process_madvise",
  "process_mrelease",
  "userfaultfd",
  "perf_event_open",
  "bpf",
  "keyctl",
  "add_key",
  "request_key",
  "kcmp",
  "pidfd_getfd",
  "fanotify_init",
  "fanotify_mark",
  "name_to_handle_at",
  "open_by_handle_at",
  "memfd_secret",
  "remap_file_pages",
  "vmsplice",
  "lookup_dcookie",
  "adjtimex",
  "clock_adjtime",
  "quotactl",
  "quotactl_fd",
  "acct",
  "syslog",
  "mount",
  "umount2",
  "mount_setattr",
  "move_mount",
  "open_tree",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "pivot_root",
  "chroot",
  "unshare",
  "setns",
  "swapon",
  "swapoff",
  "reboot",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "iopl",
  "ioperm",
  "settimeofday",
  "clock_settime",
  "sethostname",
  "setdomainname",
  "vhangup",
  "nfsservctl",
  "uselib",
  "ustat",
  "sysfs",
  "_sysctl",
  "get_kernel_syms",
  "query_module",
  "create_module",
  "epoll_ctl_old",
  "epoll_wait_old",
  "lsm_get_self_attr",
  "lsm_set_self_attr",
  "lsm_list_modules",
];

// The in-container supervisor drops privileges; Python and its libraries run threads and processes.
const MUST_BE_ALLOWED = [
  ...["setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups"],
  ...["setfsuid", "setfsgid", "capget", "capset", "prctl", "getresuid", "getresgid"],
  ...["kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "wait4", "waitid"],
  ...["execve", "execveat", "fork", "vfork", "futex", "futex_waitv", "rseq", "membarrier"],
  ...["sched_getaffinity", "sched_setaffinity", "sched_yield", "sched_getparam", "sched_setscheduler"],
  ...["mmap", "mprotect", "madvise", "mremap", "mlock", "mlock2", "mlockall", "memfd_create"],
  ...["pipe", "pipe2", "splice", "tee", "sendfile", "copy_file_range", "inotify_init1"],
  ...["inotify_add_watch", "eventfd2", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait"],
  ...["poll", "ppoll", "select", "pselect6", "timerfd_create", "timerfd_settime", "signalfd4"],
  ...["shmget", "shmat", "semget", "semop", "msgget", "mq_open", "mq_timedsend", "getrandom"],
  ...["statx", "openat2", "close_range", "faccessat2", "landlock_create_ruleset", "seccomp"],
  ...["getdents64", "mknod", "mknodat", "arch_prctl", "set_robust_list", "rt_sigaction"],
];

// Names that exist only in 32-bit ABIs, which the profile does not admit at all.
const THIRTY_TWO_BIT_ONLY = [
  ...["chown32", "fchown32", "lchown32", "setuid32", "setresuid32", "getgroups32", "setfsuid32"],
  ...["fstat64", "stat64", "lstat64", "fstatat64", "statfs64", "fstatfs64", "fcntl64", "sendfile64"],
  ...["truncate64", "ftruncate64", "fadvise64_64", "socketcall", "ipc", "_llseek", "mmap2"],
  ...["_newselect", "ugetrlimit", "sigreturn", "sigprocmask", "waitpid", "recv", "send"],
  ...["clock_gettime64", "futex_time64", "ppoll_time64", "pselect6_time64", "utimensat_time64"],
  ...["timerfd_settime64", "rt_sigtimedwait_time64", "semtimedop_time64", "recvmmsg_time64"],
];

const ALL_NAMES = profile.syscalls.flatMap((rule) => rule.names);

describe("sandboxSeccompProfile", () => {
  it("refuses everything not listed with EPERM", () => {
    expect(profile.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(profile.defaultErrnoRet).toBe(EPERM);
    expect(verdict(profile, "no_such_call")).toBe(EPERM);
  });

  it("admits only the 64-bit ABIs of x86_64 and arm64", () => {
    expect(profile.archMap).toEqual([
      { architecture: "SCMP_ARCH_X86_64", subArchitectures: [] },
      { architecture: "SCMP_ARCH_AARCH64", subArchitectures: [] },
    ]);
    for (const name of THIRTY_TWO_BIT_ONLY) expect(ALL_NAMES).not.toContain(name);
    expect(ALL_NAMES.filter((name) => name.endsWith("_time64") || name.endsWith("32"))).toEqual([]);
  });

  it("allows none of the denied calls in any rule", () => {
    const denied = SECCOMP_DENIED.flatMap((group) => group.names);
    expect(denied).toEqual(expect.arrayContaining(MUST_BE_DENIED));
    const allowRules = profile.syscalls.filter((rule) => rule.action === ALLOW);
    for (const name of denied) {
      expect(allowRules.filter((rule) => rule.names.includes(name))).toEqual([]);
      expect(verdict(profile, name)).toBe(EPERM);
    }
  });

  it("says why each denied group is denied, and lists each name once", () => {
    const denied = SECCOMP_DENIED.flatMap((group) => group.names);
    expect(new Set(denied).size).toBe(denied.length);
    for (const group of SECCOMP_DENIED) {
      expect(group.why.length).toBeGreaterThan(10);
      expect(group.names.length).toBeGreaterThan(0);
    }
  });

  it("keeps what the supervisor and a notebook need", () => {
    for (const name of MUST_BE_ALLOWED) expect(verdict(profile, name), name).toBe(ALLOW);
  });

  it("lists every allowed name once", () => {
    const unconditional = unconditionallyAllowedSyscalls();
    expect(new Set(unconditional).size).toBe(unconditional.length);
    const conditional = profile.syscalls.filter((rule) => rule.args !== undefined);
    for (const rule of conditional) {
      for (const name of rule.names) expect(unconditional).not.toContain(name);
    }
    const withoutArgs = profile.syscalls
      .filter((rule) => rule.args === undefined)
      .flatMap((rule) => rule.names);
    expect(new Set(withoutArgs).size).toBe(withoutArgs.length);
  });

  it("answers clone3 with ENOSYS so glibc falls back to clone", () => {
    const rules = profile.syscalls.filter((rule) => rule.names.includes("clone3"));
    expect(rules).toEqual([{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS }]);
    expect(verdict(profile, "clone3")).toBe(ENOSYS);
  });

  it("lets clone make threads and processes but no namespace", () => {
    const rules = profile.syscalls.filter((rule) => rule.names.includes("clone"));
    expect(rules).toEqual([
      {
        names: ["clone"],
        action: ALLOW,
        args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
      },
    ]);
    const thread = 0x3d0f00; // glibc's pthread_create flags
    const fork = 0x01200011; // CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
    const vfork = 0x4111; // CLONE_VM | CLONE_VFORK | SIGCHLD
    for (const flags of [thread, fork, vfork]) expect(verdict(profile, "clone", [flags])).toBe(ALLOW);
    const namespaces = [0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000, 0x2000000];
    for (const flag of namespaces) expect(verdict(profile, "clone", [fork | flag])).toBe(EPERM);
  });

  it("allows personality only for the five harmless values", () => {
    const values = profile.syscalls
      .filter((rule) => rule.names.includes("personality"))
      .map((rule) => rule.args?.map((arg) => [arg.index, arg.op, arg.value]));
    expect(values).toEqual([0, 8, 131072, 131080, 4294967295].map((value) => [[0, "SCMP_CMP_EQ", value]]));
    expect(verdict(profile, "personality", [0x400000])).toBe(EPERM); // READ_IMPLIES_EXEC
    expect(verdict(profile, "personality", [0x40000])).toBe(EPERM); // ADDR_NO_RANDOMIZE
  });

  it("admits exactly local, IPv4, IPv6 and route-netlink sockets", () => {
    for (const name of ["socket", "socketpair"]) {
      const rules = profile.syscalls.filter((rule) => rule.names.includes(name));
      expect(rules.every((rule) => rule.action === ALLOW)).toBe(true);
      expect(rules.map((rule) => rule.args?.map((arg) => [arg.index, arg.op, arg.value]))).toEqual([
        [[0, "SCMP_CMP_EQ", 1]],
        [[0, "SCMP_CMP_EQ", 2]],
        [[0, "SCMP_CMP_EQ", 10]],
        [
          [0, "SCMP_CMP_EQ", 16],
          [2, "SCMP_CMP_EQ", 0],
        ],
      ]);
      const admitted: number[] = [];
      for (let domain = 0; domain < 64; domain += 1) {
        if (verdict(profile, name, [domain, 1, 0]) === ALLOW) admitted.push(domain);
      }
      expect(admitted).toEqual([1, 2, 10, 16]);
      expect(verdict(profile, name, [16, 3, 9])).toBe(EPERM); // NETLINK_AUDIT
      expect(verdict(profile, name, [38, 5, 0])).toBe(EPERM); // AF_ALG
      expect(verdict(profile, name, [40, 1, 0])).toBe(EPERM); // AF_VSOCK
      // The filter sees the whole 64-bit register: high bits do not pass for AF_UNIX.
      expect(verdict(profile, name, [2 ** 32 + 1, 1, 0])).toBe(EPERM);
    }
  });

  it("is what Docker reads: plain JSON, a fresh copy each call", () => {
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
    const mine = sandboxSeccompProfile();
    mine.syscalls.push({ names: ["ptrace"], action: ALLOW });
    mine.syscalls[0]?.names.push("bpf");
    expect(sandboxSeccompProfile()).toEqual(profile);
  });
});
