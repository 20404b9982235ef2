/**
 * The bytes of the web chat's attachments (the user's uploads and the bot's files), stored by
 * content hash under DATA_DIR/web-files, never under a name someone chose. Writes go to a
 * temporary file first and are renamed into place, so a half-written upload is never served;
 * a stream is cut off at its size cap.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PRIVATE_DIR, PRIVATE_FILE } from "../../src/store/private-files.ts";

const SHA256 = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  sha256: string;
  size: number;
}

export class WebFileStore {
  constructor(readonly dir: string) {}

  async saveBuffer(data: Buffer): Promise<StoredBlob> {
    const sha256 = createHash("sha256").update(data).digest("hex");
    const target = this.pathOf(sha256);
    if (!(await exists(target))) {
      const temp = await this.tempPath();
      await writeFile(temp, data, PRIVATE_FILE);
      await this.place(temp, target);
    }
    return { sha256, size: data.length };
  }

  /**
   * Stores a stream of at most `maxBytes`; null when it was longer (the part read is dropped).
   * `truncated` is asked after the stream ends, for sources that cut it off themselves.
   */
  async saveStream(source: Readable, maxBytes: number, truncated: () => boolean): Promise<StoredBlob | null> {
    const temp = await this.tempPath();
    const hash = createHash("sha256");
    let size = 0;
    let over = false;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            // Keep reading to the end (the request's next parts follow), but write nothing more.
            if (size > maxBytes) over = true;
            if (over) continue;
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temp, PRIVATE_FILE),
      );
      if (over || truncated()) {
        await rm(temp, { force: true });
        return null;
      }
      const sha256 = hash.digest("hex");
      await this.place(temp, this.pathOf(sha256));
      return { sha256, size };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  open(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256 hash: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  private async tempPath(): Promise<string> {
    const dir = path.join(this.dir, "tmp");
    await mkdir(dir, PRIVATE_DIR);
    return path.join(dir, randomBytes(12).toString("hex"));
  }

  private async place(temp: string, target: string): Promise<void> {
    await mkdir(path.dirname(target), PRIVATE_DIR);
    await rename(temp, target);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  html: "text/html",
  htm: "text/html",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  txt: "text/plain",
  md: "text/markdown",
  py: "text/x-python",
  json: "application/json",
  pdf: "application/pdf",
  zip: "application/zip",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  parquet: "application/vnd.apache.parquet",
};

/** The type a file's name says it has; the bytes are never sniffed for it. */
export function mimeFromName(name: string): string {
  const extension = /\.([a-z0-9]{1,8})$/i.exec(name)?.[1]?.toLowerCase() ?? "";
  return MIME_BY_EXTENSION[extension] ?? "application/octet-stream";
}

/** Images the page shows inline. SVG is not one: it can carry scripts. */
export function isInlineImage(mime: string): boolean {
  return ["image/png", "image/jpeg", "image/gif", "image/webp"].includes(mime);
}

export function isHtml(mime: string): boolean {
  return mime === "text/html";
}
