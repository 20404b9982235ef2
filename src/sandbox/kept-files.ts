/**
 * A conversation's /mnt/data kept outside its container, so the files survive the container's
 * removal or death, a restart of Docker or of the bot: after each run that changed files the
 * changes are copied out, and a new container of the conversation gets them back, byte for byte.
 *
 * On the host, files are stored by their SHA-256 (`blobs/<hash>`), never by the names user code
 * chose, so no name can reach outside the folder; `manifest.json` maps names to hashes and is
 * checked again when read. Writes go to a temporary file first and are renamed into place, so
 * a crash mid-save leaves the previous state whole.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.ts";
import { PRIVATE_DIR, PRIVATE_FILE } from "../store/private-files.ts";
import type { SandboxFile } from "./types.ts";

interface KeptFile {
  size: number;
  sha256: string;
  /** The file's modification time in the sandbox, to tell a changed file from a kept one. */
  mtimeMs: number | null;
}

interface Manifest {
  version: 1;
  key: string;
  savedAt: string;
  files: Record<string, KeptFile>;
}

/** What a run did to /mnt/data, as the supervisor reported it. */
export interface FileChanges {
  changed: SandboxFile[];
  removed: string[];
  /** True when the lists were cut short: then the whole folder is compared instead. */
  incomplete: boolean;
}

/** How the kept copy reads the live sandbox. */
export interface LiveFiles {
  read(path: string): Promise<Buffer>;
  list(): Promise<SandboxFile[]>;
  /** True once the sandbox is gone: then a failed read says nothing about the file. */
  lost?(): boolean;
}

/** A restore that put nothing back. */
export const NOTHING_RESTORED: RestoreSummary = { files: 0, bytes: 0, missing: [] };

export interface RestoreSummary {
  files: number;
  bytes: number;
  /** Names whose kept copy was missing or damaged, so they could not be restored. */
  missing: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The folder name of a session's kept files (a hash: no name a user chose reaches the host). */
export function keptFolderName(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

export const EXPIRED_SUFFIX = ".expired.json";

export class KeptFiles {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly key: string,
    private readonly logger: Logger,
  ) {
    this.dir = path.join(root, keptFolderName(key));
  }

  /** Marks the conversation as used now; retention counts from its last use. */
  async touch(): Promise<void> {
    const now = new Date();
    await utimes(path.join(this.dir, "manifest.json"), now, now).catch(() => undefined);
  }

  /** When the conversation was last used (its last touch); null when nothing is kept for it. */
  async lastUsed(): Promise<Date | null> {
    return (await stat(path.join(this.dir, "manifest.json")).catch(() => null))?.mtime ?? null;
  }

  /** If retention removed this conversation's files, how many days it allowed; said once. */
  async takeExpiry(): Promise<number | null> {
    const marker = `${this.dir}${EXPIRED_SUFFIX}`;
    let days: number | null = null;
    try {
      const parsed: unknown = JSON.parse(await readFile(marker, "utf8"));
      const value = (parsed as { retentionDays?: unknown } | null)?.retentionDays;
      days = typeof value === "number" ? value : null;
    } catch {
      return null;
    }
    await rm(marker, { force: true });
    return days;
  }

  /** Copies what a run changed out of the sandbox, and forgets what it removed. */
  async record(changes: FileChanges, live: LiveFiles): Promise<void> {
    const manifest = (await this.load()) ?? this.empty();
    let changed = changes.changed;
    if (changes.incomplete) {
      const listed = await live.list();
      const present = new Set(listed.map((file) => file.path));
      for (const name of Object.keys(manifest.files)) if (!present.has(name)) delete manifest.files[name];
      changed = listed.filter((file) => {
        const kept = manifest.files[file.path];
        return !kept || kept.size !== file.size || kept.mtimeMs !== (file.mtimeMs ?? null);
      });
    }
    for (const name of changes.removed) delete manifest.files[name];
    await mkdir(path.join(this.dir, "blobs"), PRIVATE_DIR);
    try {
      await this.copyChanged(changed, manifest, live);
      manifest.savedAt = new Date().toISOString();
      await this.writeAtomically(
        path.join(this.dir, "manifest.json"),
        Buffer.from(JSON.stringify(manifest)),
        false,
      );
    } catch (error) {
      // The kept manifest is still the last whole one; copies made for this record are not in
      // it and would only take space (on a full disk, the space the next try needs).
      await this.collectGarbage((await this.load()) ?? this.empty()).catch(() => undefined);
      throw error;
    }
    await this.collectGarbage(manifest);
  }

  /**
   * Puts the kept files into a new sandbox of the conversation. Null when nothing was kept for
   * it, so it had no sandbox before; a summary (possibly of no files) when it had one.
   * `onFound` is told once the record is found, before anything is copied.
   */
  async restore(
    write: (path: string, data: Buffer) => Promise<void>,
    onFound?: () => void,
  ): Promise<RestoreSummary | null> {
    const manifest = await this.load();
    if (!manifest) return null;
    onFound?.();
    const summary: RestoreSummary = { files: 0, bytes: 0, missing: [] };
    for (const [name, file] of Object.entries(manifest.files)) {
      let data: Buffer;
      try {
        data = await readFile(this.blobPath(file.sha256));
      } catch {
        summary.missing.push(name);
        continue;
      }
      if (createHash("sha256").update(data).digest("hex") !== file.sha256) {
        summary.missing.push(name);
        continue;
      }
      await write(name, data);
      summary.files += 1;
      summary.bytes += data.length;
    }
    return summary;
  }

  /** Whether the conversation had a sandbox before: a kept record exists, with files or not. */
  async exists(): Promise<boolean> {
    return (await this.load()) !== null;
  }

  /** Records that the conversation has a sandbox, so losing it later is noticed and said. */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    await mkdir(this.dir, PRIVATE_DIR);
    await this.writeAtomically(
      path.join(this.dir, "manifest.json"),
      Buffer.from(JSON.stringify(this.empty())),
      false,
    );
  }

  /** Keeps a pickled namespace (see variables-snapshot.ts) and what could not be pickled. */
  async saveState(data: Buffer, skipped: Array<[string, string]>): Promise<void> {
    await mkdir(this.dir, PRIVATE_DIR);
    await this.writeAtomically(path.join(this.dir, "state.dill"), data, false);
    await this.writeAtomically(
      path.join(this.dir, "state.json"),
      Buffer.from(JSON.stringify({ skipped })),
      false,
    );
  }

  /** The kept namespace, if any, with the names that could not be kept when it was saved. */
  async loadState(): Promise<{ data: Buffer; skipped: Array<[string, string]> } | null> {
    try {
      const data = await readFile(path.join(this.dir, "state.dill"));
      const meta: unknown = JSON.parse(await readFile(path.join(this.dir, "state.json"), "utf8"));
      const raw = (meta as { skipped?: unknown } | null)?.skipped;
      const skipped = Array.isArray(raw)
        ? raw.filter(
            (item): item is [string, string] =>
              Array.isArray(item) && item.length === 2 && item.every((part) => typeof part === "string"),
          )
        : [];
      return { data, skipped };
    } catch {
      return null;
    }
  }

  /** Drops the kept namespace: it was loaded back, or it no longer applies. */
  async clearState(): Promise<void> {
    await rm(path.join(this.dir, "state.dill"), { force: true });
    await rm(path.join(this.dir, "state.json"), { force: true });
  }

  /** Forgets every kept file of the conversation (reset, close). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** When the kept files were last saved, or null when nothing is kept. */
  async savedAt(): Promise<Date | null> {
    try {
      return (await stat(path.join(this.dir, "manifest.json"))).mtime;
    } catch {
      return null;
    }
  }

  private empty(): Manifest {
    return { version: 1, key: this.key, savedAt: new Date().toISOString(), files: {} };
  }

  private blobPath(sha256: string): string {
    return path.join(this.dir, "blobs", sha256);
  }

  private async load(): Promise<Manifest | null> {
    let text: string;
    try {
      text = await readFile(path.join(this.dir, "manifest.json"), "utf8");
    } catch {
      return null;
    }
    const manifest = parseManifest(text);
    if (!manifest || manifest.key !== this.key) {
      this.logger.warn(
        { dir: this.dir },
        "a kept files manifest is damaged or not this session's; ignoring it",
      );
      return null;
    }
    return manifest;
  }

  /** Copies changed files out of the sandbox into blobs, and names them in `manifest`. */
  private async copyChanged(changed: SandboxFile[], manifest: Manifest, live: LiveFiles): Promise<void> {
    for (const file of changed) {
      let data: Buffer;
      try {
        data = await live.read(file.path);
      } catch (error) {
        // The container died before its files were copied: keep the last whole state instead.
        if (live.lost?.()) throw error;
        // Gone or swapped for a pipe since the run ended: it cannot be kept, and must not come back.
        delete manifest.files[file.path];
        this.logger.warn({ err: error, file: file.path }, "could not keep a file of the sandbox");
        continue;
      }
      const sha256 = createHash("sha256").update(data).digest("hex");
      // A host that cannot take the copy (a full disk) throws here, before the manifest is
      // written: the kept state stays the last whole one, and the caller tries again later.
      await this.writeAtomically(this.blobPath(sha256), data, true);
      manifest.files[file.path] = { size: data.length, sha256, mtimeMs: file.mtimeMs ?? null };
    }
  }

  private async writeAtomically(target: string, data: Buffer, skipIfPresent: boolean): Promise<void> {
    if (skipIfPresent) {
      try {
        await stat(target);
        return; // same hash, same bytes
      } catch {
        // not there yet
      }
    }
    const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temporary, data, PRIVATE_FILE);
      await rename(temporary, target);
    } catch (error) {
      // A half-written copy would hold on to the very space a full disk lacks.
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  private async collectGarbage(manifest: Manifest): Promise<void> {
    const used = new Set(Object.values(manifest.files).map((file) => file.sha256));
    for (const name of await readdir(path.join(this.dir, "blobs")).catch(() => [])) {
      if (!used.has(name)) await rm(path.join(this.dir, "blobs", name), { force: true });
    }
  }
}

export function parseManifest(text: string): Manifest | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const candidate = value as Partial<Manifest>;
  if (candidate.version !== 1 || typeof candidate.key !== "string" || typeof candidate.files !== "object")
    return null;
  const files: Record<string, KeptFile> = {};
  for (const [name, file] of Object.entries(candidate.files ?? {})) {
    const entry = file as Partial<KeptFile> | null;
    if (
      !entry ||
      typeof entry.size !== "number" ||
      typeof entry.sha256 !== "string" ||
      !SHA256.test(entry.sha256)
    ) {
      return null;
    }
    files[name] = {
      size: entry.size,
      sha256: entry.sha256,
      mtimeMs: typeof entry.mtimeMs === "number" ? entry.mtimeMs : null,
    };
  }
  return { version: 1, key: candidate.key, savedAt: String(candidate.savedAt ?? ""), files };
}
