/**
 * The sandbox contract the core depends on. The Docker implementation is SandboxManager with
 * its ContainerSessions; tests/fakes/sandbox has a scripted one that needs no Docker. Python
 * errors, time-outs and crashes come back as an Execution; only infrastructure failures throw.
 */
import type { SandboxLimits } from "./limits.ts";
import type { SandboxLibraries } from "./sandbox-libraries.ts";
import type { ExecuteOptions, Execution, SandboxFile } from "./types.ts";

/** One conversation's sandbox: a Python namespace and the files in /mnt/data. */
export interface SandboxSession {
  readonly key: string;
  readonly limits: SandboxLimits;
  /** Where the sandbox lives, for the store and for admins (a container name, for Docker). */
  readonly location: string;
  execute(code: string, options?: ExecuteOptions): Promise<Execution>;
  putFile(path: string, data: Buffer): Promise<void>;
  getFile(path: string, maxBytes?: number): Promise<Buffer>;
  listFiles(): Promise<SandboxFile[]>;
  /** A fresh Python process; with clearFiles, an empty /mnt/data too. */
  reset(clearFiles: boolean): Promise<void>;
}

export interface Sandbox {
  readonly limits: SandboxLimits;
  /** The session for a conversation; it starts (or is picked up again) on first use. */
  acquire(key: string): Promise<SandboxSession>;
  /** Ends a conversation's sandbox: variables and files are gone. True if there was one. */
  close(key: string): Promise<boolean>;
  /**
   * Lets go of one conversation's sandbox without ending it, once its work (files being kept
   * included) is done: another process that shares the store and the engine picks it up next,
   * variables and all. Replicas call it before giving up the conversation's turn.
   */
  handOver(key: string): Promise<void>;
  /** Lets go of every session without ending them, so the next process continues them. */
  shutdown(): Promise<void>;
  /** What the sandbox image has installed; null when it cannot be read (told in the log). */
  libraries?(): Promise<SandboxLibraries | null>;
}
