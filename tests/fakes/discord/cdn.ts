/**
 * The CDN: users' attachments a test hosts, and the bot's uploads, served from the fake's own
 * port under `/cdn/attachments/{channel}/{attachment}/{filename}` (`proxy_url` under `/media/`).
 * URLs are signed as Discord's are (`ex`, `is`, `hm`); a wrong or missing signature gets the
 * CDN's 404. A test can make a file bigger than its attachment object claims, or slow.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import type { Snowflakes } from "./protocol.ts";
import type { Recorder } from "./recorder.ts";
import type { CdnFileOptions, FakeFile } from "./types.ts";
import { sendText } from "./wire.ts";
import type { WireAttachment } from "./wire-types.ts";

interface StoredFile {
  attachment: WireAttachment;
  data: Buffer;
  contentType: string;
  delayMs: number;
  omitContentLength: boolean;
}

const PATH = /^\/(cdn|media)\/attachments\/(\d+)\/(\d+)\/([^/]+)$/;
const DAY_SECONDS = 24 * 60 * 60;
/** Chunks of a body sent without `Content-Length`. */
const CHUNK_BYTES = 64 * 1024;

export class Cdn {
  private readonly files = new Map<string, StoredFile>();
  private readonly secret = randomBytes(16);

  constructor(
    private readonly origin: string,
    private readonly ids: Snowflakes,
    private readonly recorder: Recorder,
    private readonly defaultChannelId: () => string,
  ) {}

  /** Hosts a user's file and returns the attachment object to put in a message or interaction. */
  add(filename: string, bytes: Buffer, contentType?: string, options: CdnFileOptions = {}): WireAttachment {
    return this.store({
      filename,
      data: bytes,
      contentType: contentType ?? contentTypeOf(filename),
      channelId: options.channelId ?? this.defaultChannelId(),
      options,
    }).attachment;
  }

  /** The CDN copy of a file the bot uploaded. */
  storeUpload(
    channelId: string,
    upload: {
      filename: string;
      data: Buffer;
      contentType: string | undefined;
      description: string | undefined;
    },
  ): { attachment: WireAttachment; file: FakeFile } {
    // A part sent as `application/octet-stream` (what FormData says for an untyped Blob) gets
    // the type its name implies, as Discord reports `content_type` for uploads.
    const sent = upload.contentType === "application/octet-stream" ? undefined : upload.contentType;
    const stored = this.store({
      filename: upload.filename,
      data: upload.data,
      contentType: sent ?? contentTypeOf(upload.filename),
      channelId,
      options: upload.description === undefined ? {} : { description: upload.description },
    });
    return {
      attachment: stored.attachment,
      file: {
        id: stored.attachment.id,
        name: upload.filename,
        data: upload.data,
        content_type: stored.attachment.content_type,
        description: upload.description,
        url: stored.attachment.url,
      },
    };
  }

  handles(path: string): boolean {
    return PATH.test(path);
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const match = PATH.exec(url.pathname);
    const stored = match?.[3] ? this.files.get(match[3]) : undefined;
    if (!match || !stored || (req.method !== "GET" && req.method !== "HEAD")) {
      sendText(res, 404, "Not Found");
      return;
    }
    const { attachment } = stored;
    const signed = this.signature(`${match[2]}/${match[3]}/${match[4]}`, url.searchParams);
    const status = signed ? 200 : 404;
    const download = { attachment_id: attachment.id, filename: attachment.filename, status, at: Date.now() };
    this.recorder.downloads.push(download);
    this.recorder.emit("cdn-download", download);
    if (!signed) {
      sendText(res, 404, "This content is no longer available.");
      return;
    }
    if (stored.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, stored.delayMs));
    const headers: Record<string, string | number> = {
      "content-type": stored.contentType,
      "cache-control": "public, max-age=31536000",
    };
    if (!stored.omitContentLength) headers["content-length"] = stored.data.length;
    res.writeHead(200, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    if (!stored.omitContentLength) {
      res.end(stored.data);
      return;
    }
    for (let offset = 0; offset < stored.data.length; offset += CHUNK_BYTES) {
      res.write(stored.data.subarray(offset, offset + CHUNK_BYTES));
    }
    res.end();
  }

  private store(input: {
    filename: string;
    data: Buffer;
    contentType: string;
    channelId: string;
    options: CdnFileOptions;
  }): StoredFile {
    const { options } = input;
    const id = this.ids.next();
    const path = `${input.channelId}/${id}/${encodeURIComponent(input.filename)}`;
    const query = this.sign(path);
    const dimensions =
      options.width === undefined
        ? pngSize(input.data)
        : { width: options.width, height: options.height ?? options.width };
    const attachment: WireAttachment = {
      id,
      filename: input.filename,
      size: options.claimedSize ?? input.data.length,
      url: `${this.origin}/cdn/attachments/${path}?${query}`,
      proxy_url: `${this.origin}/media/attachments/${path}?${query}`,
      content_type: input.contentType,
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(dimensions ?? {}),
    };
    const stored: StoredFile = {
      attachment,
      data: Buffer.from(input.data),
      contentType: input.contentType,
      delayMs: options.delayMs ?? 0,
      omitContentLength: options.omitContentLength ?? false,
    };
    this.files.set(id, stored);
    return stored;
  }

  /** `ex` (expiry) and `is` (issued) in hex seconds, and `hm` over both; Discord ends with `&`. */
  private sign(path: string): string {
    const issued = Math.floor(Date.now() / 1000);
    const ex = (issued + DAY_SECONDS).toString(16);
    const is = issued.toString(16);
    return `ex=${ex}&is=${is}&hm=${this.hmac(path, ex, is)}&`;
  }

  private signature(path: string, query: URLSearchParams): boolean {
    const ex = query.get("ex");
    const is = query.get("is");
    const hm = query.get("hm");
    if (!ex || !is || !hm) return false;
    if (Number.parseInt(ex, 16) * 1000 < Date.now()) return false;
    return hm === this.hmac(path, ex, is);
  }

  private hmac(path: string, ex: string, is: string): string {
    return createHmac("sha256", this.secret).update(`${path}|${ex}|${is}`).digest("hex");
  }
}

/** A PNG's dimensions from its IHDR chunk, so image attachments carry `width` and `height`. */
function pngSize(data: Buffer): { width: number; height: number } | undefined {
  const signature = "89504e470d0a1a0a";
  if (data.length < 24 || data.subarray(0, 8).toString("hex") !== signature) return undefined;
  if (data.subarray(12, 16).toString("ascii") !== "IHDR") return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

const CONTENT_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".csv": "text/csv; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".py": "text/x-python; charset=utf-8",
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
  ".zip": "application/zip",
};

export function contentTypeOf(filename: string): string {
  return CONTENT_TYPES[extname(filename).toLowerCase()] ?? "application/octet-stream";
}
