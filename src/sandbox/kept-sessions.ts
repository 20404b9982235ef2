/**
 * The folder of every conversation's kept files (kept-files.ts holds one conversation's): what is
 * in it for a scope, and the retention that empties it of conversations unused for too long.
 */
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.ts";
import { PRIVATE_FILE } from "../store/private-files.ts";
import { EXPIRED_SUFFIX, parseManifest } from "./kept-files.ts";

/**
 * Removes the kept files of conversations unused for longer than the retention time, leaving a
 * small marker so the next message in that conversation is told why its files are gone. Folders
 * in `inUse` (sessions with a live container) are left alone; markers older than ten times the
 * retention are removed too. Returns how many conversations' files were removed.
 */
export async function pruneKeptFiles(
  root: string,
  options: { retentionMs: number; inUse: ReadonlySet<string>; now: number; logger: Logger },
): Promise<number> {
  if (options.retentionMs <= 0) return 0;
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const full = path.join(root, name);
    const info = await stat(name.endsWith(EXPIRED_SUFFIX) ? full : path.join(full, "manifest.json")).catch(
      () => null,
    );
    if (!info) continue;
    const age = options.now - info.mtimeMs;
    if (name.endsWith(EXPIRED_SUFFIX)) {
      if (age > options.retentionMs * 10) await rm(full, { force: true });
      continue;
    }
    if (age <= options.retentionMs || options.inUse.has(name)) continue;
    const retentionDays = Math.round(options.retentionMs / 86_400_000);
    await writeFile(
      `${full}${EXPIRED_SUFFIX}`,
      JSON.stringify({ expiredAt: new Date(options.now).toISOString(), retentionDays }),
      PRIVATE_FILE,
    );
    await rm(full, { recursive: true, force: true });
    removed += 1;
  }
  if (removed > 0) options.logger.info({ removed }, "removed kept files past their retention time");
  return removed;
}

export interface KeptSession {
  /** The key the kept files were saved under, without the scope prefix. */
  key: string;
  lastUsed: Date;
  /** Bytes on the host: the files' blobs and the pickled variables. */
  bytes: number;
}

/** The conversations of one scope that have kept files, with their size and last use. */
export async function listKeptSessions(root: string, scope: string): Promise<KeptSession[]> {
  const sessions: KeptSession[] = [];
  const prefix = `${scope}:`;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const dir = path.join(root, name);
    const manifestPath = path.join(dir, "manifest.json");
    const [text, info] = await Promise.all([
      readFile(manifestPath, "utf8").catch(() => null),
      stat(manifestPath).catch(() => null),
    ]);
    const manifest = text === null ? null : parseManifest(text);
    if (!manifest || !info || !manifest.key.startsWith(prefix)) continue;
    let bytes = 0;
    for (const file of [
      "state.dill",
      ...(await readdir(path.join(dir, "blobs")).catch(() => [] as string[])).map((blob) =>
        path.join("blobs", blob),
      ),
    ]) {
      bytes += (await stat(path.join(dir, file)).catch(() => null))?.size ?? 0;
    }
    sessions.push({ key: manifest.key.slice(prefix.length), lastUsed: info.mtime, bytes });
  }
  return sessions;
}
