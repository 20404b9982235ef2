/**
 * The seccomp profile of a sandbox container: an allowlist of the system calls a notebook uses.
 *
 * It starts from what Docker's default profile allows without conditions on x86_64 and arm64 and
 * takes out the calls a notebook never needs but kernel exploits and container escapes often
 * start from (`SECCOMP_DENIED`). Everything not allowed fails with EPERM. Only the 64-bit ABIs are
 * listed, so a process cannot reach the kernel through the 32-bit compat syscall layer.
 *
 * Docker takes it as `SecurityOpt: ["seccomp=" + JSON.stringify(sandboxSeccompProfile())]`, which
 * is what `docker run --security-opt seccomp=file.json` sends. Names the engine's libseccomp does
 * not know (calls newer than it) are skipped by runc, and runc answers calls newer than every
 * listed one with ENOSYS, so glibc falls back to the older call.
 */

export type SeccompAction = "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO";
export type SeccompArchitecture = "SCMP_ARCH_X86_64" | "SCMP_ARCH_AARCH64";
export type SeccompOperator = "SCMP_CMP_EQ" | "SCMP_CMP_MASKED_EQ";

/** One argument condition. For SCMP_CMP_MASKED_EQ, `value` is the mask and `valueTwo` the result. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo: number;
  op: SeccompOperator;
}

/** A rule: `action` for `names`, when every condition in `args` holds (they are ANDed). */
export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  args?: SeccompArg[];
  errnoRet?: number;
}

export interface SeccompArchMapEntry {
  architecture: SeccompArchitecture;
  subArchitectures: SeccompArchitecture[];
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet: number;
  archMap: SeccompArchMapEntry[];
  syscalls: SeccompRule[];
}

/** A named group of system calls and why it is in its list. */
export interface SyscallGroup {
  why: string;
  names: readonly string[];
}

/** A list of syscall names written as words, so a group reads as a few lines. */
function words(list: string): readonly string[] {
  return list.trim().split(/\s+/);
}

export const EPERM = 1;
export const ENOSYS = 38;

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;

/** CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32 | UNAME26, and 0xffffffff (a query that changes nothing). */
export const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] as const;

/** Calls no rule of the profile allows, with why. Docker's default allows some of them unconditionally. */
export const SECCOMP_DENIED: readonly SyscallGroup[] = [
  {
    why: "io_uring runs I/O outside seccomp's view and has been a steady source of kernel exploits",
    names: words(`io_uring_setup io_uring_enter io_uring_register`),
  },
  {
    why: "reading or steering another process would let user code reach the supervisor",
    names: words(`
      ptrace process_vm_readv process_vm_writev process_madvise process_mrelease kcmp pidfd_getfd
    `),
  },
  {
    why: "kernel interfaces that exploits use to stall, profile or program the kernel",
    names: words(`userfaultfd perf_event_open bpf lookup_dcookie`),
  },
  {
    why: "the kernel keyring is not namespaced per container",
    names: words(`keyctl add_key request_key`),
  },
  {
    why: "file handles and fanotify reach files outside the container's mounts",
    names: words(`name_to_handle_at open_by_handle_at fanotify_init fanotify_mark`),
  },
  {
    why: "rare memory calls with a history of kernel bugs; no notebook library uses them",
    names: words(`memfd_secret remap_file_pages vmsplice`),
  },
  {
    why: "the host's clock, quotas, accounting and kernel log",
    names: words(`adjtimex clock_adjtime settimeofday clock_settime quotactl quotactl_fd acct syslog`),
  },
  {
    why: "mounts and namespaces: a notebook's file system and isolation are fixed when the container starts",
    names: words(`
      mount umount2 mount_setattr move_mount open_tree fsopen fsconfig fsmount fspick pivot_root
      chroot unshare setns
    `),
  },
  {
    why: "administering the machine: swap, reboot, kernel images and modules, I/O ports, host names",
    names: words(`
      swapon swapoff reboot kexec_load kexec_file_load init_module finit_module delete_module iopl
      ioperm sethostname setdomainname vhangup
    `),
  },
  {
    why: "a process's own LSM labels; current Docker allows these only with CAP_SYS_ADMIN",
    names: words(`lsm_get_self_attr lsm_set_self_attr lsm_list_modules`),
  },
  {
    why: "obsolete calls nothing current uses",
    names: words(`
      nfsservctl uselib ustat sysfs _sysctl get_kernel_syms query_module create_module
      epoll_ctl_old epoll_wait_old
    `),
  },
];

/**
 * Calls allowed whatever their arguments. Names from both x86_64 and arm64; runc skips a name the
 * running architecture lacks. clone, personality, socket and socketpair have rules of their own.
 */
const ALLOWED: readonly SyscallGroup[] = [
  {
    why: "Python, subprocess and multiprocessing start, wait for and signal processes; the supervisor stops them",
    names: words(`
      execve execveat fork vfork exit exit_group wait4 waitid kill tkill tgkill pidfd_open
      pidfd_send_signal restart_syscall getpid getppid gettid getpgid getpgrp setpgid getsid
      setsid getpriority setpriority
    `),
  },
  {
    why: "the C library sets up each process and thread: TLS, robust futex lists, rseq; prctl names threads and drops capabilities",
    names: words(`
      set_tid_address set_robust_list get_robust_list rseq prctl arch_prctl get_thread_area
      set_thread_area
    `),
  },
  {
    why: "x86_64 only, kept from Docker's list: modify_ldt for the odd binary that sets up segments, uretprobe so a host tracing a notebook with uprobes does not crash it",
    names: words(`modify_ldt uretprobe`),
  },
  {
    why: "the supervisor, as root, switches user code to the session's uid and its file access to that uid",
    names: words(`
      getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid setregid
      setresuid setresgid setgroups setfsuid setfsgid capget capset
    `),
  },
  {
    why: "threads, locks and thread pools (numpy's BLAS, concurrent.futures) wait, wake and schedule",
    names: words(`
      futex futex_waitv futex_wait futex_wake futex_requeue membarrier sched_yield
      sched_getaffinity sched_setaffinity sched_getparam sched_setparam sched_getscheduler
      sched_setscheduler sched_getattr sched_setattr sched_get_priority_max sched_get_priority_min
      sched_rr_get_interval getcpu
    `),
  },
  {
    why: "the allocator, numpy's arrays and mapped files",
    names: words(`
      brk mmap munmap mprotect mremap madvise msync mincore mlock mlock2 mlockall munlock
      munlockall memfd_create pkey_alloc pkey_free pkey_mprotect map_shadow_stack mseal
    `),
  },
  {
    why: "signal handlers, KeyboardInterrupt, timeouts and asyncio's signal handling",
    names: words(`
      rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending rt_sigtimedwait
      rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack signalfd signalfd4 pause alarm getitimer
      setitimer
    `),
  },
  {
    why: "reading clocks, sleeping and timers (time, asyncio, faulthandler)",
    names: words(`
      clock_gettime clock_getres clock_nanosleep nanosleep gettimeofday time times timer_create
      timer_delete timer_gettime timer_settime timer_getoverrun timerfd_create timerfd_gettime
      timerfd_settime
    `),
  },
  {
    why: "reading and writing files and pipes; mknod makes FIFOs (os.mkfifo), device nodes need a capability",
    names: words(`
      open openat openat2 creat close close_range read write readv writev pread64 pwrite64 preadv
      preadv2 pwritev pwritev2 lseek dup dup2 dup3 fcntl flock ioctl fsync fdatasync sync syncfs
      sync_file_range fallocate truncate ftruncate fadvise64 readahead cachestat sendfile
      copy_file_range splice tee pipe pipe2 mknod mknodat
    `),
  },
  {
    why: "paths, directories and metadata (os, shutil, pathlib), and a read-only view of the container's own mounts",
    names: words(`
      stat fstat lstat newfstatat statx statfs fstatfs access faccessat faccessat2 getcwd chdir
      fchdir getdents getdents64 mkdir mkdirat rmdir rename renameat renameat2 link linkat unlink
      unlinkat symlink symlinkat readlink readlinkat chmod fchmod fchmodat fchmodat2 chown fchown
      lchown fchownat umask utime utimes utimensat futimesat listmount statmount
    `),
  },
  {
    why: "extended attributes, which shutil.copy2 and tar preserve",
    names: words(`
      getxattr lgetxattr fgetxattr getxattrat setxattr lsetxattr fsetxattr setxattrat listxattr
      llistxattr flistxattr listxattrat removexattr lremovexattr fremovexattr removexattrat
    `),
  },
  {
    why: "waiting on many descriptors: selectors, asyncio, subprocess.communicate, file watchers",
    names: words(`
      poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait
      epoll_pwait2 eventfd eventfd2 inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
    `),
  },
  {
    why: "POSIX asynchronous I/O (libaio) and I/O priorities; io_uring stays out",
    names: words(`io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents ioprio_get ioprio_set`),
  },
  {
    why: "multiprocessing's shared memory, semaphores and queues, in the container's own IPC namespace",
    names: words(`
      shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv msgctl mq_open
      mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr
    `),
  },
  {
    why: "using a socket once it exists: multiprocessing's connections, asyncio, loopback servers",
    names: words(`
      bind listen accept accept4 connect getsockname getpeername getsockopt setsockopt sendto
      recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown
    `),
  },
  {
    why: "limits, usage, system facts and randomness (os.cpu_count, resource, secrets)",
    names: words(`getrlimit setrlimit prlimit64 getrusage sysinfo uname getrandom`),
  },
  {
    why: "a program may narrow its own rights further, never widen them: seccomp and Landlock",
    names: words(`seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self`),
  },
];

/** socket and socketpair: local, IPv4 and IPv6 sockets, and route netlink for glibc's if_nameindex and getifaddrs. */
const SOCKET_RULES: readonly (readonly SeccompArg[])[] = [
  [eq(0, AF_UNIX)],
  [eq(0, AF_INET)],
  [eq(0, AF_INET6)],
  [eq(0, AF_NETLINK), eq(2, NETLINK_ROUTE)],
];

function eq(index: number, value: number): SeccompArg {
  return { index, value, valueTwo: 0, op: "SCMP_CMP_EQ" };
}

/** The names allowed without conditions, in group order. */
export function unconditionallyAllowedSyscalls(): string[] {
  return ALLOWED.flatMap((group) => [...group.names]);
}

/** A fresh profile on every call, so no caller can change another's. */
export function sandboxSeccompProfile(): SeccompProfile {
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: EPERM,
    archMap: [
      { architecture: "SCMP_ARCH_X86_64", subArchitectures: [] },
      { architecture: "SCMP_ARCH_AARCH64", subArchitectures: [] },
    ],
    syscalls: [
      { names: unconditionallyAllowedSyscalls(), action: "SCMP_ACT_ALLOW" },
      // Threads, fork and subprocess, but never a new namespace. The flags are argument 0 on x86_64 and arm64.
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
      },
      // seccomp cannot look into clone3's flags, which sit in memory. ENOSYS, not EPERM, makes
      // glibc (2.34+) fall back to clone in pthread_create and posix_spawn.
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
      // The query and the uname-changing domains (setarch, linux32). Not ADDR_NO_RANDOMIZE, not READ_IMPLIES_EXEC.
      ...PERSONALITY_ALLOWED.map(
        (persona): SeccompRule => ({
          names: ["personality"],
          action: "SCMP_ACT_ALLOW",
          args: [eq(0, persona)],
        }),
      ),
      ...SOCKET_RULES.map(
        (args): SeccompRule => ({
          names: ["socket", "socketpair"],
          action: "SCMP_ACT_ALLOW",
          args: [...args],
        }),
      ),
    ],
  };
}
