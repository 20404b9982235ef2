/**
 * The only reader of process.env. Everything is validated once, at start-up, and every
 * problem is reported together with what to set, so an admin fixes .env in one pass.
 * This file reads the core's settings; each chat platform reads its own with the same
 * EnvReader (adapters/<platform>/…-config.ts), and src/platforms.ts composes them.
 */
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import path from "node:path";
import { type AccessConfig, readAccess } from "./access/access-config.ts";
import { type DockerConnection, type DockerHost, readDocker, readDockerHosts } from "./docker-config.ts";
import { FatalError } from "./errors.ts";
import { type KubernetesConfig, readKubernetes } from "./kubernetes-config.ts";
import { DEFAULT_LIMITS, type SandboxLimits } from "./sandbox/limits.ts";
import { OCI_RUNTIMES, type OciRuntime } from "./sandbox/oci-runtime.ts";
import { type PostgresConfig, readPostgresConfig } from "./store/database-config.ts";
import { readUsageConfig, type UsageConfig } from "./usage/usage-config.ts";

export type { DockerConnection, DockerHost } from "./docker-config.ts";

export interface SandboxConfig {
  /** An explicit image reference; when absent, the content-addressed tag of sandbox-image/ is used. */
  image: string | null;
  limits: SandboxLimits;
  /** The OCI runtime of sandbox containers: runc (Docker's own) or runsc (gVisor, SANDBOX_RUNTIME=runsc). */
  runtime: OciRuntime;
  idleTimeoutMs: number;
  /** Containers alive at once, the warm pool's included. */
  maxLive: number;
  /** Runs at once; more wait their turn in a fair queue. */
  maxRunning: number;
  /** Warm containers kept ready for new conversations. */
  poolSize: number;
  /** Kept files of conversations unused this long are removed; 0 keeps them forever. */
  retentionMs: number;
  /**
   * Where conversations' files and variables are kept between containers (SESSIONS_DIR, default
   * DATA_DIR/sessions). Replicas share one folder, so any of them can resume any conversation.
   */
  keptFilesDir: string;
  debianMirror: string;
  /**
   * Which bot's sandboxes these are, in their labels: a bot adopts, cleans up and lists only its
   * own scope's, so two bots on one Docker engine keep apart.
   */
  scope: string;
}

export interface ModelConfig {
  /** Null when no LLM is configured: the bot then runs ```python blocks only. */
  apiKey: string | null;
  /** Any OpenAI-compatible endpoint; null means OpenAI itself. */
  baseURL: string | null;
  model: string;
  /** Covers the response headers only (the SDK's own timeout). */
  requestTimeoutMs: number;
  /** Longest silence allowed inside a streamed answer. */
  streamIdleTimeoutMs: number;
  maxRetries: number;
  /** Whether the model accepts images, so it can look at its own charts. */
  supportsImages: boolean;
}

export interface AgentConfig {
  maxSteps: number;
  timeBudgetMs: number;
  historyTokenBudget: number;
  maxAttachmentBytes: number;
}

/** Where operators' health, readiness and metrics endpoints listen (src/ops/). */
export interface OpsConfig {
  host: string;
  port: number;
}

export interface Config {
  logLevel: string;
  dataDir: string;
  databasePath: string;
  /** Null for SQLite at databasePath; set by DATABASE_URL, which replicas share. */
  postgres: PostgresConfig | null;
  /** The first of dockerHosts: where the image is built and the ops checks look by default. */
  docker: DockerConnection;
  /** Every Docker engine sandboxes run on: SANDBOX_DOCKER_HOSTS, or the one of DOCKER_HOST. */
  dockerHosts: DockerHost[];
  /** Set with SANDBOX_BACKEND=kubernetes: sandboxes are pods, and Docker is not used for them. */
  kubernetes: KubernetesConfig | null;
  sandbox: SandboxConfig;
  model: ModelConfig;
  agent: AgentConfig;
  followThreads: boolean;
  /** Null when METRICS_PORT=0 turns the endpoints off. */
  ops: OpsConfig | null;
  /** Who may use the bot: ACCESS_* variables and the optional policy file. */
  access: AccessConfig;
  /** Per-person limits, the team's daily token budget and prices (src/usage/). */
  usage: UsageConfig;
}

export type Env = Record<string, string | undefined>;

/** Reads variables and remembers every problem instead of stopping at the first. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name]?.trim();
    return value ? value : fallback;
  }

  optionalString(name: string): string | null {
    const value = this.env[name]?.trim();
    return value ? value : null;
  }

  /** Whether the variable is set to something. */
  has(name: string): boolean {
    return Boolean(this.env[name]?.trim());
  }

  number(name: string, fallback: number, min: number, max: number, integer = true): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      this.problems.push(
        `${name}=${raw} is not ${integer ? "a whole number" : "a number"} from ${min} to ${max}.`,
      );
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}=${raw} must be one of: ${allowed.join(", ")}.`);
      return fallback;
    }
    return raw as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    this.problems.push(`${name}=${raw} must be true or false.`);
    return fallback;
  }

  url(name: string): string | null {
    const raw = this.optionalString(name);
    if (raw === null) return null;
    try {
      const url = new URL(raw);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
      return raw;
    } catch {
      this.problems.push(`${name}=${raw} is not an http(s) URL.`);
      return null;
    }
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}

function readSandbox(read: EnvReader, cwd: string, dataDir: string): SandboxConfig {
  const d = DEFAULT_LIMITS;
  const limits: SandboxLimits = {
    memoryMb: read.number("SANDBOX_MEMORY_MB", d.memoryMb, 128, 262_144),
    cpus: read.number("SANDBOX_CPUS", d.cpus, 0.1, 64, false),
    pids: read.number("SANDBOX_PIDS", d.pids, 32, 32_768),
    dataMb: read.number("SANDBOX_DATA_MB", d.dataMb, 16, 262_144),
    tmpMb: read.number("SANDBOX_TMP_MB", d.tmpMb, 16, 65_536),
    shmMb: read.number("SANDBOX_SHM_MB", d.shmMb, 1, 65_536),
    executionTimeoutMs: read.number("SANDBOX_TIMEOUT_SECONDS", d.executionTimeoutMs / 1000, 1, 86_400) * 1000,
    interruptGraceMs:
      read.number("SANDBOX_INTERRUPT_GRACE_SECONDS", d.interruptGraceMs / 1000, 0.5, 600, false) * 1000,
    outputLimitBytes: read.number("SANDBOX_OUTPUT_LIMIT_KB", d.outputLimitBytes / 1024, 1, 1_048_576) * 1024,
    maxFileBytes: read.number("SANDBOX_MAX_FILE_MB", d.maxFileBytes / 1024 / 1024, 1, 4096) * 1024 * 1024,
    startTimeoutMs: read.number("SANDBOX_START_TIMEOUT_SECONDS", d.startTimeoutMs / 1000, 5, 600) * 1000,
  };
  return {
    image: read.optionalString("SANDBOX_IMAGE"),
    limits,
    runtime: read.oneOf("SANDBOX_RUNTIME", "runc", OCI_RUNTIMES),
    idleTimeoutMs: read.number("SANDBOX_IDLE_MINUTES", 15, 0, 525_600) * 60_000,
    // SANDBOX_MAX_SESSIONS is the older name, still honoured.
    maxLive: read.number(
      read.has("SANDBOX_MAX_LIVE") ? "SANDBOX_MAX_LIVE" : "SANDBOX_MAX_SESSIONS",
      20,
      1,
      10_000,
    ),
    maxRunning: read.number("SANDBOX_MAX_RUNNING", 2 * availableParallelism(), 1, 10_000),
    poolSize: read.number("SANDBOX_POOL_SIZE", 2, 0, 100),
    retentionMs: read.number("SESSION_RETENTION_DAYS", 7, 0, 3650, false) * 86_400_000,
    keptFilesDir: path.resolve(cwd, read.string("SESSIONS_DIR", path.join(dataDir, "sessions"))),
    debianMirror: read.string("SANDBOX_DEBIAN_MIRROR", "http://deb.debian.org/debian"),
    scope: readScope(read),
  };
}

function readScope(read: EnvReader): string {
  const scope = read.string("SANDBOX_SCOPE", "bot");
  // It becomes part of container names and labels: keep it to what Docker accepts everywhere.
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(scope)) {
    read.problem(`SANDBOX_SCOPE=${scope} must be 1 to 32 lowercase letters, digits or dashes.`);
    return "bot";
  }
  return scope;
}

function readModel(read: EnvReader): ModelConfig {
  return {
    apiKey: read.optionalString("OPENAI_API_KEY"),
    baseURL: read.url("OPENAI_BASE_URL"),
    model: read.string("OPENAI_MODEL", "gpt-4o"),
    requestTimeoutMs: read.number("OPENAI_TIMEOUT_SECONDS", 60, 1, 3600) * 1000,
    streamIdleTimeoutMs: read.number("OPENAI_STREAM_IDLE_SECONDS", 60, 1, 3600) * 1000,
    maxRetries: read.number("OPENAI_MAX_RETRIES", 3, 0, 10),
    supportsImages: read.boolean("OPENAI_MODEL_SEES_IMAGES", false),
  };
}

function readAgent(read: EnvReader): AgentConfig {
  return {
    maxSteps: read.number("AGENT_MAX_STEPS", 10, 1, 100),
    timeBudgetMs: read.number("AGENT_TIME_BUDGET_SECONDS", 600, 10, 86_400) * 1000,
    historyTokenBudget: read.number("HISTORY_TOKEN_BUDGET", 24_000, 1_000, 2_000_000),
    maxAttachmentBytes: read.number("MAX_ATTACHMENT_MB", 50, 1, 4096) * 1024 * 1024,
  };
}

function readOps(read: EnvReader): OpsConfig | null {
  const port = read.number("METRICS_PORT", 9464, 0, 65_535);
  const host = read.string("METRICS_HOST", "127.0.0.1");
  // A host name or an IP address, not a URL: listen() would fail later with a vaguer message.
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    read.problem(`METRICS_HOST=${host} is not a host name or IP address (for example 127.0.0.1 or 0.0.0.0).`);
  }
  return port === 0 ? null : { host, port };
}

export class ConfigError extends FatalError {
  constructor(readonly problems: string[]) {
    super(
      "config_invalid",
      `The configuration has ${problems.length} problem(s):\n- ${problems.join("\n- ")}`,
    );
  }
}

/**
 * Loads `.env` from `dir` into the environment when it exists; variables already set win,
 * so a real environment overrides the file.
 */
export function loadDotEnv(dir: string = process.cwd()): boolean {
  const file = path.join(dir, ".env");
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const read = new EnvReader(env);
  const dataDir = path.resolve(cwd, read.string("DATA_DIR", ".data"));
  const docker = readDocker(read);
  const dockerHosts = readDockerHosts(read, docker);
  const config: Config = {
    logLevel: read.oneOf("LOG_LEVEL", "info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    dataDir,
    databasePath: path.resolve(dataDir, read.string("DATABASE_PATH", "bot.sqlite")),
    postgres: readPostgresConfig(read),
    docker: dockerHosts[0]?.connection ?? docker,
    dockerHosts,
    kubernetes: readKubernetes(read),
    sandbox: readSandbox(read, cwd, dataDir),
    model: readModel(read),
    agent: readAgent(read),
    followThreads: read.boolean("FOLLOW_THREADS", true),
    ops: readOps(read),
    access: readAccess(read, cwd),
    usage: readUsageConfig(read),
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
