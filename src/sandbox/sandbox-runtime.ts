/**
 * What the sandbox's admission, pool and sessions need of the place containers run: one Docker
 * engine (ContainerRuntime) or several behind one face (DockerHosts, SANDBOX_DOCKER_HOSTS).
 */
import type { AttachedContainer, SandboxContainerInfo } from "./container-runtime.ts";

export interface SandboxRuntime {
  /** The sandbox image's reference, as configured or built. */
  readonly image: string;
  /** Every pooled container's name starts with this. */
  readonly poolPrefix: string;
  containerName(sessionKey: string): string;
  /** Whether the container runs the image its engine's tag names now. */
  isCurrentImage(container: Pick<AttachedContainer, "imageId" | "host">): Promise<boolean>;
  /** Looks at the image again; true when a tag now names a rebuilt image. */
  refreshImage(): Promise<boolean>;
  /** Attaches to the session's running container if there is one (on any engine), or null. */
  adoptExisting(sessionKey: string): Promise<AttachedContainer | null>;
  /** A new container for the session. */
  create(sessionKey: string): Promise<AttachedContainer>;
  createPooled(): Promise<AttachedContainer>;
  claim(pooled: AttachedContainer, sessionKey: string): Promise<AttachedContainer>;
  wasOomKilled(id: string): Promise<boolean>;
  /** By id or name; one already gone is fine. */
  remove(idOrName: string): Promise<void>;
  /** This scope's containers on every engine that answers. */
  list(): Promise<SandboxContainerInfo[]>;
  /**
   * With several engines: whether `host` has stopped answering (asked now), as a reason to tell
   * the person, or null when it answers. A single engine leaves it out.
   */
  engineLoss?(host: string): Promise<string | null>;
  /**
   * Where a channel can break while its container runs on (Kubernetes: a WebSocket through the
   * API server), the container attached anew if it still runs; null when it does not. A Docker
   * engine's attach ends only with its container, so it leaves this out.
   */
  reattach?(container: AttachedContainer): Promise<AttachedContainer | null>;
  /**
   * One file of the sandbox image (its library census): Docker copies it out of a container that
   * never starts, Kubernetes has a short pod print it. Throws ImageFileMissingError when the
   * image has no such file.
   */
  readImageFile?(filePath: string, maxBytes: number): Promise<Buffer>;
  /** Reads what the engines offer once; throws when none can run sandboxes. */
  checkEngine(): Promise<unknown>;
}

/**
 * Whether the container is the conversation's: by its session label (Kubernetes labels a warm
 * pod it claims), or, for a Docker container that came from the pool (its label stays empty),
 * by the name it was renamed to.
 */
export function isSessionContainer(
  runtime: Pick<SandboxRuntime, "containerName">,
  key: string,
  container: Pick<SandboxContainerInfo, "sessionKey" | "name">,
): boolean {
  return (
    container.sessionKey === key ||
    (container.sessionKey === null && container.name === runtime.containerName(key))
  );
}

/** The image has no such file: unlike an engine that did not answer, asking again changes nothing. */
export class ImageFileMissingError extends Error {}
