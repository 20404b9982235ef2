/**
 * The gate the core asks: the environment's rules together with the policy file's, the file
 * read again whenever it changes. The file is polled (a stat every second) rather than watched
 * with inotify, because editors replace a file instead of writing it and a bind-mounted file in
 * a container never reports the change. Each look compares the file with the version last read
 * (from start-up on), so an edit made while the bot was starting is not missed and a broken
 * file is reported once, not at every look. A bad edit keeps the last good rules and says why.
 */
import { EventEmitter } from "node:events";
import { stat } from "node:fs/promises";
import type { Logger } from "../logger.ts";
import type { AccessConfig } from "./access-config.ts";
import type { AccessDecision, AccessGate } from "./access-decision.ts";
import {
  type AccessPolicy,
  type AccessSubject,
  decideAccess,
  listCounts,
  mergePolicy,
} from "./access-policy.ts";
import { fileVersion, readPolicyFile } from "./policy-file.ts";

/** What a look at the changed file came to, for tests and anyone else who wants to know. */
export type PolicyChange =
  | { kind: "reloaded"; policy: AccessPolicy }
  | { kind: "rejected"; problems: string[] };

export interface AccessGateOptions {
  logger: Logger;
  /** How often the policy file is looked at. */
  pollIntervalMs?: number;
}

export class PolicyAccessGate implements AccessGate {
  private policy: AccessPolicy;
  private readonly changes = new EventEmitter<{ change: [PolicyChange] }>();
  private readonly file: string | null;
  /** The version of the file last read, good or bad. */
  private version: string;
  private readonly timer: NodeJS.Timeout | null = null;
  private looking = false;

  constructor(
    private readonly config: AccessConfig,
    private readonly options: AccessGateOptions,
  ) {
    const file = config.policyFile;
    this.file = file?.path ?? null;
    this.version = file?.version ?? "missing";
    this.policy = file ? mergePolicy(config.env, file.rules) : config.env;
    options.logger.info({ file: this.file, ...this.summary() }, "access rules");
    if (this.file) {
      this.timer = setInterval(() => void this.look(), options.pollIntervalMs ?? 1_000);
      // A poller alone must not keep the process (or a CLI command) alive.
      this.timer.unref();
    }
  }

  decide(message: AccessSubject): AccessDecision {
    return decideAccess(this.policy, message);
  }

  /** The rules in force now. */
  get current(): AccessPolicy {
    return this.policy;
  }

  /** Hears every reload and every rejected edit of the policy file; returns how to stop. */
  onChange(listener: (change: PolicyChange) => void): () => void {
    this.changes.on("change", listener);
    return () => this.changes.off("change", listener);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.changes.removeAllListeners();
  }

  /** Reads the file again if it changed since it was last read. */
  private async look(): Promise<void> {
    const file = this.file;
    if (!file || this.looking) return;
    this.looking = true;
    try {
      const current = fileVersion(await stat(file).catch(() => null));
      if (current !== this.version) this.reload(file);
    } catch (error) {
      this.options.logger.error({ err: error, file }, "could not look at the access policy file");
    } finally {
      this.looking = false;
    }
  }

  private reload(file: string): void {
    const loaded = readPolicyFile(file);
    this.version = loaded.version;
    let change: PolicyChange;
    if (loaded.ok) {
      this.policy = mergePolicy(this.config.env, loaded.rules);
      change = { kind: "reloaded", policy: this.policy };
      this.options.logger.info({ file, ...this.summary() }, "access policy file reloaded");
    } else {
      change = { kind: "rejected", problems: loaded.problems };
      this.options.logger.error(
        { file, problems: loaded.problems },
        "access policy file rejected: the last good rules stay in force until it is fixed",
      );
    }
    this.changes.emit("change", change);
  }

  private summary(): Record<string, unknown> {
    return { ...listCounts(this.policy), allowDms: this.policy.allowDms };
  }
}

export function createAccessGate(config: AccessConfig, options: AccessGateOptions): PolicyAccessGate {
  return new PolicyAccessGate(config, options);
}
