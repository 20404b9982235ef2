/**
 * Writes bytes into a local folder under a name from an untrusted source. The name is
 * flattened to one safe file name, an existing file is never overwritten, and the final
 * open refuses symbolic links, so nothing lands outside the folder.
 */
import { constants } from "node:fs";
import { mkdir, open, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import { safeFileName, uniqueName } from "./safe-name.ts";

export class FolderWriter {
  private taken: Set<string> | null = null;
  private folder: string | null = null;

  constructor(private readonly requestedFolder: string) {}

  async save(rawName: string, data: Buffer): Promise<string> {
    const folder = await this.resolveFolder();
    const taken = this.taken ?? new Set(await readdir(folder));
    this.taken = taken;
    const name = uniqueName(safeFileName(rawName), (candidate) => taken.has(candidate));
    taken.add(name);
    const target = path.join(folder, name);
    const handle = await open(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    return target;
  }

  private async resolveFolder(): Promise<string> {
    if (this.folder) return this.folder;
    await mkdir(this.requestedFolder, { recursive: true });
    this.folder = await realpath(this.requestedFolder);
    return this.folder;
  }
}
