import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";
import { ensureBaseImage, imageExists } from "./base-image.ts";
import { dockerBuild } from "./docker-build.ts";
import { computeSandboxImageTag, sandboxImageRef } from "./image-tag.ts";
import { pruneSupersededTags } from "./prune-images.ts";

export interface EnsureSandboxImageOptions {
  docker: Dockerode;
  /** The directory holding the Dockerfile (sandbox-image/). */
  contextDir: string;
  repository: string;
  logger: Logger;
  /** Every line the build prints, for a person watching. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** Build even when the tag exists; Docker's layer cache keeps this quick. */
  force?: boolean;
  /** Mirror for debootstrap and the base image's apt sources, when the base is made here. */
  debianMirror?: string;
  /** How long to wait for `docker pull` of the official base image. */
  pullTimeoutMs?: number;
}

export interface SandboxImage {
  ref: string;
  built: boolean;
}

/**
 * Makes sure the sandbox image for the current build context exists, building it if not. The tag
 * is a hash of the context, so a changed kernel always gets a new image and an unchanged one is
 * never rebuilt. The build also tags `${repository}:latest`.
 *
 * The docker CLI is spawned for the build (and for the base image) because it sends the context
 * and follows the daemon's protocol changes for us; it finds the daemon the way dockerode's
 * defaults do (DOCKER_HOST, else /var/run/docker.sock).
 */
export async function ensureSandboxImage(options: EnsureSandboxImageOptions): Promise<SandboxImage> {
  const { docker, logger, repository } = options;
  const tag = await computeSandboxImageTag(options.contextDir);
  const ref = sandboxImageRef(repository, tag);
  const latest = sandboxImageRef(repository, "latest");
  const log = logger.child({ image: ref });

  if (!options.force && (await imageExists(docker, ref))) {
    log.debug("sandbox image is present");
    await docker.getImage(ref).tag({ repo: repository, tag: "latest" });
    return { ref, built: false };
  }

  const onLine = (line: string) => {
    log.debug({ line }, "image build output");
    options.onProgress?.(line);
  };
  const started = Date.now();
  const base = await ensureBaseImage({
    docker,
    logger: log,
    onLine,
    signal: options.signal,
    debianMirror: options.debianMirror,
    pullTimeoutMs: options.pullTimeoutMs,
  });
  log.info({ base }, "building the sandbox image");
  await dockerBuild(
    ["--build-arg", `BASE_IMAGE=${base}`, "--tag", ref, "--tag", latest, options.contextDir],
    { ref, errorCode: "sandbox-image-build-failed", onLine, signal: options.signal },
  );
  log.info({ base, seconds: (Date.now() - started) / 1000 }, "sandbox image built");
  await pruneSupersededTags(docker, repository, [ref, latest], log);
  if ((await computeSandboxImageTag(options.contextDir)) !== tag) {
    // The image may hold files that are newer than its tag says; the next start rebuilds.
    log.warn({ contextDir: options.contextDir }, "the build context changed during the build");
  }
  return { ref, built: true };
}
