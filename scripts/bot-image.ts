/**
 * Builds the bot's own image from the repository's Dockerfile, the image compose.yaml runs.
 * Build-time code, like src/sandbox/image-builder.ts: the bot never builds itself.
 *
 * The Dockerfile starts from debian:trixie-slim; where Docker Hub cannot be reached, the same
 * base is made from Debian's packages with debootstrap (src/sandbox/base-image.ts, as for the
 * sandbox) and passed as BASE_IMAGE. Docker's layer cache makes a rebuild of unchanged sources
 * take seconds, so this always runs `docker build` instead of guessing whether it is needed.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import type Dockerode from "dockerode";
import { FatalError } from "../src/errors.ts";
import type { Logger } from "../src/logger.ts";
import { ensureBaseImage } from "../src/sandbox/base-image.ts";
import { dockerBuild } from "../src/sandbox/docker-build.ts";

/** What compose.yaml's `image:` names, so `docker compose up` finds what this built. */
export const DEFAULT_BOT_IMAGE = "code-interpreter-bot:latest";

export interface BuildBotImageOptions {
  docker: Dockerode;
  logger: Logger;
  /** The repository's root: the Dockerfile and .dockerignore are there. */
  contextDir: string;
  ref?: string | undefined;
  /** Every line the build prints, for a person watching. */
  onProgress?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Mirror for debootstrap and the base image's apt sources, when the base is made here. */
  debianMirror?: string | undefined;
  /** How long to wait for `docker pull debian:trixie-slim`. */
  pullTimeoutMs?: number | undefined;
  /**
   * A PEM file of certificates the host trusts (see hostCaCertsFile): the ones Node does not
   * already know go to the build's npm, for networks whose proxy inspects TLS.
   */
  caCertsFile?: string | undefined;
}

export interface BotImage {
  ref: string;
  /** The image it was built on: debian:trixie-slim or our debootstrapped stand-in. */
  base: string;
  seconds: number;
}

export async function buildBotImage(options: BuildBotImageOptions): Promise<BotImage> {
  const ref = options.ref ?? DEFAULT_BOT_IMAGE;
  const log = options.logger.child({ image: ref });
  const onLine = (line: string) => {
    log.debug({ line }, "image build output");
    options.onProgress?.(line);
  };
  const started = Date.now();
  const base = await ensureBaseImage({
    docker: options.docker,
    logger: log,
    onLine,
    suite: "trixie",
    buildCommand: "npm run bot-image:build",
    signal: options.signal,
    debianMirror: options.debianMirror,
    pullTimeoutMs: options.pullTimeoutMs,
  });
  // --force-rm: the classic builder would leave the container of a failed step behind.
  const args = ["--force-rm", "--build-arg", `BASE_IMAGE=${base}`, "--tag", ref, options.contextDir];
  if (options.caCertsFile) {
    const certificates = await extraCertificates(options.caCertsFile);
    if (certificates.length > 0) {
      onLine(
        `npm in the build trusts ${certificates.length} more certificate(s) from ${options.caCertsFile}`,
      );
      args.splice(0, 0, "--build-arg", `BUILD_CA_CERTS=${certificates.join("\n")}`);
    }
  }
  onLine(`building ${ref} on ${base}`);
  await dockerBuild(args, { ref, errorCode: "bot-image-build-failed", onLine, signal: options.signal });
  const seconds = (Date.now() - started) / 1000;
  log.info({ base, seconds }, "bot image built");
  return { ref, base, seconds };
}

const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/**
 * What this host trusts: Node's NODE_EXTRA_CA_CERTS, else Debian's system bundle, where
 * update-ca-certificates puts a network's own CA. Either is cut to what Node does not know.
 */
export function hostCaCertsFile(env: Record<string, string | undefined>): string | undefined {
  return env.NODE_EXTRA_CA_CERTS || (existsSync(SYSTEM_CA_BUNDLE) ? SYSTEM_CA_BUNDLE : undefined);
}

/** Most bytes a build argument may take: one command-line argument is at most 128 KiB on Linux. */
const MAX_CERTIFICATES_BYTES = 100_000;

/**
 * The certificates in a PEM file that Node.js does not already trust. A system bundle passed as
 * NODE_EXTRA_CA_CERTS (as on Debian with a local CA) thereby shrinks to the local additions,
 * small enough for a build argument.
 */
export async function extraCertificates(file: string): Promise<string[]> {
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (error) {
    throw new FatalError("ca-certs-unreadable", `cannot read the CA certificates in ${file}`, error);
  }
  const body = (certificate: string) => certificate.replace(/-----[A-Z ]+-----|\s+/g, "");
  const known = new Set(rootCertificates.map(body));
  const extra = (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).filter(
    (certificate) => !known.has(body(certificate)),
  );
  if (extra.join("\n").length > MAX_CERTIFICATES_BYTES) {
    throw new FatalError(
      "ca-certs-too-large",
      `${file} holds ${extra.length} certificates Node.js does not know, more than a build argument can ` +
        "carry: point NODE_EXTRA_CA_CERTS (or --ca-certs) at a file with only your network's CA",
    );
  }
  return extra;
}
