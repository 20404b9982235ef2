import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type Dockerode from "dockerode";
import { FatalError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { describeExit, runProcess, startProcess } from "./child-process.ts";

/** The Debian releases our images build on: the sandbox on bookworm, the bot itself on trixie. */
export type DebianSuite = "bookworm" | "trixie";

/** Docker Hub's official slim image of a suite. */
export function slimBaseImage(suite: DebianSuite): string {
  return `debian:${suite}-slim`;
}

/** Our stand-in for the slim image, made here with debootstrap when Docker Hub cannot be reached. */
export function debootstrapBaseImage(suite: DebianSuite): string {
  return `code-interpreter-bot-base:${suite}`;
}

export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";
const SECURITY_MIRROR = "http://deb.debian.org/debian-security";
const DOCKER_HINT = "install Docker (apt-get install docker.io) or run scripts/ensure-docker.sh";

export interface BaseImageOptions {
  docker: Dockerode;
  logger: Logger;
  onLine: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** Which Debian release; bookworm unless said. */
  suite?: DebianSuite | undefined;
  /** The command to suggest running as root when the base has to be made here. */
  buildCommand?: string | undefined;
  /** Debian mirror for debootstrap and the image's apt sources. */
  debianMirror?: string | undefined;
  pullTimeoutMs?: number | undefined;
  /** Where the temporary root file system goes: a disk-backed file system that allows device files. */
  workDir?: string | undefined;
}

export async function imageExists(docker: Dockerode, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return false;
    throw new FatalError(
      "docker-unreachable",
      `cannot reach the Docker daemon (${(error as Error).message}); start it, e.g. with scripts/ensure-docker.sh`,
      error,
    );
  }
}

/**
 * Finds a Debian image of the suite to build on: the official slim image if it is here or can be
 * pulled, else our own made with debootstrap, for machines that reach Debian's mirror but not
 * Docker Hub. A local image of ours is preferred to a pull that may hang until its deadline.
 */
export async function ensureBaseImage(options: BaseImageOptions): Promise<string> {
  const { docker, logger } = options;
  const suite = options.suite ?? "bookworm";
  const slim = slimBaseImage(suite);
  const ours = debootstrapBaseImage(suite);
  if (await imageExists(docker, slim)) return slim;
  if (await imageExists(docker, ours)) return ours;
  if (await tryPull(slim, options)) return slim;
  logger.info({ base: ours }, "cannot pull the Debian base image; making one with debootstrap");
  await buildWithDebootstrap(suite, options);
  return ours;
}

async function tryPull(ref: string, options: BaseImageOptions): Promise<boolean> {
  const timeoutMs = options.pullTimeoutMs ?? 60_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  options.onLine(`pulling ${ref} (deadline ${Math.round(timeoutMs / 1000)} s)`);
  try {
    const result = await runProcess("docker", ["pull", ref], {
      signal,
      onLine: options.onLine,
      installHint: DOCKER_HINT,
    });
    if (result.exitCode === 0) return true;
    options.logger.info({ ref, output: result.tail.slice(-3) }, `docker pull ${describeExit(result)}`);
    return false;
  } catch (error) {
    if (options.signal?.aborted || error instanceof FatalError) throw error;
    const reason = deadline.aborted
      ? `gave no answer within ${timeoutMs} ms`
      : `failed: ${(error as Error).message}`;
    options.logger.info({ ref }, `docker pull ${reason}`);
    return false;
  }
}

async function buildWithDebootstrap(suite: DebianSuite, options: BaseImageOptions): Promise<void> {
  const slim = slimBaseImage(suite);
  if (process.getuid?.() !== 0) {
    throw new FatalError(
      "base-image-needs-root",
      `Neither ${slim} nor ${debootstrapBaseImage(suite)} is available and Docker Hub cannot be reached. ` +
        `Making a base image with debootstrap needs root: run \`sudo ${options.buildCommand ?? "npm run sandbox:build"}\`, ` +
        `or load ${slim} into Docker (docker pull / docker load).`,
    );
  }
  const mirror = options.debianMirror ?? DEFAULT_DEBIAN_MIRROR;
  const rootfs = await mkdtemp(path.join(options.workDir ?? "/var/tmp", "cib-rootfs-"));
  try {
    const started = Date.now();
    const debootstrap = await runProcess("debootstrap", ["--variant=minbase", suite, rootfs, mirror], {
      onLine: options.onLine,
      signal: options.signal,
      installHint: "install it with `apt-get install debootstrap` (or run scripts/ensure-docker.sh as root)",
    });
    if (debootstrap.exitCode !== 0) {
      throw new FatalError(
        "debootstrap-failed",
        `debootstrap ${describeExit(debootstrap)} (mirror ${mirror}):\n${debootstrap.tail.join("\n")}`,
      );
    }
    options.logger.info({ suite, seconds: (Date.now() - started) / 1000 }, "debootstrap finished");
    await slimDown(rootfs, suite, mirror);
    await importRootfs(rootfs, debootstrapBaseImage(suite), options);
  } finally {
    await removeRootfs(rootfs, options.logger);
  }
}

/** What debuerreotype does for the official slim image, so both bases behave alike. */
async function slimDown(rootfs: string, suite: DebianSuite, mirror: string): Promise<void> {
  const at = (relative: string) => path.join(rootfs, relative);
  const sources = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\n` +
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
  await rm(at("etc/apt/sources.list"), { force: true });
  await writeFile(
    at("etc/apt/sources.list.d/debian.sources"),
    `${sources(mirror, `${suite} ${suite}-updates`)}\n${sources(SECURITY_MIRROR, `${suite}-security`)}`,
  );
  const cleanCache =
    '"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"';
  await writeFile(
    at("etc/apt/apt.conf.d/docker-clean"),
    `DPkg::Post-Invoke { ${cleanCache}; };\nAPT::Update::Post-Invoke { ${cleanCache}; };\n` +
      'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
  );
  await writeFile(at("etc/apt/apt.conf.d/docker-no-languages"), 'Acquire::Languages "none";\n');
  await writeFile(at("etc/apt/apt.conf.d/docker-gzip-indexes"), 'Acquire::GzipIndexes "true";\n');
  await writeFile(
    at("etc/apt/apt.conf.d/docker-autoremove-suggests"),
    'Apt::AutoRemove::SuggestsImportant "false";\n',
  );
  const excluded = ["doc", "groff", "info", "linda", "lintian/overrides", "locale", "man"];
  await writeFile(
    at("etc/dpkg/dpkg.cfg.d/docker"),
    `${excluded.map((dir) => `path-exclude /usr/share/${dir}/*`).join("\n")}\n` +
      "path-include /usr/share/doc/*/copyright\n",
  );
  await writeFile(at("usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  // The host's name and resolver must not end up in the image; Docker supplies both at run time.
  await writeFile(at("etc/hostname"), "localhost\n");
  await rm(at("etc/resolv.conf"), { force: true });

  for (const dir of excluded) await emptyDir(at(`usr/share/${dir}`), dir === "doc" ? "copyright" : undefined);
  await emptyDir(at("var/lib/apt/lists"), "partial");
  for (const name of await readdir(at("var/cache/apt/archives"))) {
    if (name.endsWith(".deb")) await unlink(at(`var/cache/apt/archives/${name}`));
  }
  for (const name of await readdir(at("var/cache/apt"))) {
    if (name.endsWith(".bin")) await unlink(at(`var/cache/apt/${name}`));
  }
}

/** Removes a directory's contents; with `keep`, keeps entries of that name one or two levels down. */
async function emptyDir(dir: string, keep?: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const target = path.join(dir, entry.name);
    if (keep !== undefined && entry.name === keep) continue;
    if (keep !== undefined && entry.isDirectory()) {
      await emptyDir(target, keep);
      if ((await readdir(target)).length === 0) await rm(target, { recursive: true });
    } else {
      await rm(target, { recursive: true, force: true });
    }
  }
}

async function importRootfs(rootfs: string, ref: string, options: BaseImageOptions): Promise<void> {
  options.onLine(`importing the root file system as ${ref}`);
  const tar = startProcess("tar", ["--numeric-owner", "-C", rootfs, "-c", "."], {
    onLine: options.onLine,
    signal: options.signal,
    pipeStdout: true,
  });
  const stdout = tar.child.stdout;
  if (!stdout) throw new Error("tar has no stdout");
  const importing = runProcess("docker", ["import", "--change", 'CMD ["bash"]', "-", ref], {
    stdin: stdout,
    onLine: options.onLine,
    signal: options.signal,
    installHint: DOCKER_HINT,
  });
  const [tarResult, importResult] = await Promise.all([tar.done, importing]);
  if (tarResult.exitCode !== 0 || importResult.exitCode !== 0) {
    throw new FatalError(
      "base-image-import-failed",
      `importing the debootstrapped root file system failed: tar ${describeExit(tarResult)}, ` +
        `docker import ${describeExit(importResult)}:\n${[...tarResult.tail, ...importResult.tail].join("\n")}`,
    );
  }
}

/**
 * debootstrap mounts /proc, /sys and a /dev tmpfs inside the target; a run that was killed can
 * leave them mounted, and a recursive delete must never walk into them.
 */
async function removeRootfs(rootfs: string, logger: Logger): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const mounts = mountinfo
    .split("\n")
    .map((line) =>
      line
        .split(" ")[4]
        ?.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((mountPoint): mountPoint is string => !!mountPoint?.startsWith(`${rootfs}/`))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) {
    const result = await runProcess("umount", ["--lazy", mountPoint]).catch(() => undefined);
    if (result?.exitCode !== 0) {
      logger.warn({ rootfs, mountPoint }, "cannot unmount; leaving the temporary root file system in place");
      return;
    }
  }
  await rm(rootfs, { recursive: true, force: true });
}
