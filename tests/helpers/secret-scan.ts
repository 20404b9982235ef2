/**
 * Finds credentials where they must never be: log lines, stored bytes, replies, a sandbox's
 * environment. Each secret is looked for as written, as its distinctive core (so a cut or
 * prefixed copy counts), and base64-encoded (standard and URL-safe), as a header or a
 * serialised buffer would carry it.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface Secret {
  name: string;
  value: string;
  /** A part of the value no other text contains; a copy of it is a leak too. */
  core: string;
}

interface Needle {
  label: string;
  bytes: Buffer;
}

function needlesOf(secrets: readonly Secret[]): Needle[] {
  return secrets.flatMap((secret) =>
    [secret.value, secret.core].flatMap((text, index) => {
      const form = index === 0 ? "" : " (core)";
      const raw = Buffer.from(text);
      return [
        { label: `${secret.name}${form}`, bytes: raw },
        { label: `${secret.name}${form} as base64`, bytes: Buffer.from(raw.toString("base64")) },
        { label: `${secret.name}${form} as base64url`, bytes: Buffer.from(raw.toString("base64url")) },
      ];
    }),
  );
}

/** Collects where each secret turned up; `leaks` stays empty when nothing did. */
export class SecretScan {
  readonly leaks: string[] = [];
  /** How much was looked through, so a test can show the scan saw something. */
  scannedBytes = 0;
  private readonly needles: Needle[];

  constructor(secrets: readonly Secret[]) {
    this.needles = needlesOf(secrets);
  }

  check(where: string, content: string | Buffer): void {
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    this.scannedBytes += bytes.length;
    for (const needle of this.needles) {
      if (bytes.includes(needle.bytes)) this.leaks.push(`${needle.label} in ${where}`);
    }
  }

  /** A recorded value as JSON, with the bytes of any Buffer in it (uploads) read as bytes. */
  checkJson(where: string, value: unknown): void {
    this.check(
      where,
      JSON.stringify(value, (_key, item: unknown) => asBytes(item) ?? item),
    );
  }

  /** Every file under `dir`, byte for byte: SQLite pages, their -wal, stored uploads. */
  async checkFiles(where: string, dir: string): Promise<number> {
    let files = 0;
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      this.check(`${where}/${path.relative(dir, full)}`, await readFile(full));
      files += 1;
    }
    return files;
  }
}

/** JSON.stringify hands a replacer a Buffer already turned into `{ type: "Buffer", data }`. */
function asBytes(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const { type, data } = item as { type?: unknown; data?: unknown };
  return type === "Buffer" && Array.isArray(data)
    ? Buffer.from(data as number[]).toString("latin1")
    : undefined;
}
