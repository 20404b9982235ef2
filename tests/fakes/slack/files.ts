/**
 * Files on the fake: private files a user "attached" (served only to the bot token, as
 * `files.slack.com` does), and the v2 upload flow (`files.getUploadURLExternal`, a POST of
 * the bytes to the returned URL, `files.completeUploadExternal`), whose POST a test can have
 * refused with Slack's rate-limit answer.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import { type ApiFailure, failure, missingArgument } from "./limits.ts";
import type {
  FakeUpload,
  FileDownload,
  HostedFile,
  HostFileOptions,
  RateLimited,
  UploadPost,
} from "./types.ts";
import { bearerToken, contentType, formData, isRecord, sendText } from "./wire.ts";

interface StoredFile {
  file: HostedFile;
  bytes: Buffer;
  loginPageOnly: boolean;
}

interface PendingUpload {
  fileId: string;
  filename: string;
  length: number;
  received: { bytes: Buffer; encoding: FakeUpload["encoding"] } | undefined;
}

export interface FileStoreContext {
  origin: string;
  teamId: string;
  botToken: string;
  uploads: FakeUpload[];
  fileDownloads: FileDownload[];
  uploadPosts: UploadPost[];
}

const UPLOAD_PATH = "/upload/v1/";
const FILES_PATH = "/files-pri/";

/**
 * What `files.slack.com` answers a request without the bot's bearer token: a 200 with the
 * workspace sign-in page, not a 401, so a client that trusts the status saves HTML as the file.
 */
export const SIGN_IN_PAGE = `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="utf-8"><title>Slack</title></head>
<body><h1>Sign in to Fake Workspace</h1>
<form action="/signin" method="post"><input type="email" name="email"><button>Sign In With Email</button></form>
</body>
</html>
`;

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly pending = new Map<string, PendingUpload>();
  private readonly pendingByKey = new Map<string, PendingUpload>();
  private fileCount = 0;
  private readonly uploadFailures: RateLimited[] = [];

  constructor(private readonly ctx: FileStoreContext) {}

  host(name: string, bytes: Buffer, mimetype: string, options: HostFileOptions = {}): HostedFile {
    const id = this.nextFileId();
    const file = this.describe(id, name, name, mimetype, bytes.length);
    this.files.set(id, { file, bytes: Buffer.from(bytes), loginPageOnly: options.asHtmlLoginPage ?? false });
    return file;
  }

  getUploadUrl(args: Record<string, unknown>): Record<string, unknown> | ApiFailure {
    const filename = typeof args.filename === "string" ? args.filename : "";
    if (filename === "") return missingArgument("filename");
    const length = Number(args.length);
    // Slack documents `missing_argument` for a zero length, which is what an empty file sends.
    if (!Number.isInteger(length) || length <= 0) return failure("missing_argument");
    const upload: PendingUpload = { fileId: this.nextFileId(), filename, length, received: undefined };
    const key = randomBytes(12).toString("hex");
    this.pending.set(upload.fileId, upload);
    this.pendingByKey.set(key, upload);
    return { ok: true, upload_url: `${this.ctx.origin}${UPLOAD_PATH}${key}`, file_id: upload.fileId };
  }

  failNextUpload(response: RateLimited): void {
    this.uploadFailures.push(response);
  }

  /** The upload URL takes the bytes raw or as any multipart file field (the WebClient uses `body`). */
  async receiveUpload(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const key = new URL(req.url ?? "/", "http://127.0.0.1").pathname.slice(UPLOAD_PATH.length);
    const upload = this.pendingByKey.get(key);
    if (req.method !== "POST" || !upload) return sendText(res, 404, "Not Found");
    const limited = this.uploadFailures.shift();
    const answer = (status: number, text: string) => {
      this.ctx.uploadPosts.push({ file_id: upload.fileId, status, at: Date.now() });
      sendText(res, status, text);
    };
    if (limited) {
      res.setHeader("retry-after", String(limited.retryAfterSeconds));
      return answer(429, "ratelimited");
    }
    if (contentType(req) === "multipart/form-data") {
      const blob = [...(await formData(req, body)).values()].find((value) => typeof value !== "string");
      if (!blob) return answer(400, "no file in the form");
      upload.received = { bytes: Buffer.from(await blob.arrayBuffer()), encoding: "multipart" };
    } else {
      upload.received = { bytes: body, encoding: "raw" };
    }
    answer(200, `OK - ${upload.received.bytes.length}`);
  }

  completeUpload(args: Record<string, unknown>): Record<string, unknown> | ApiFailure {
    const entries = args.files;
    if (!Array.isArray(entries) || entries.length === 0) return missingArgument("files");
    const ready: Array<{
      upload: PendingUpload;
      title: string;
      bytes: Buffer;
      encoding: FakeUpload["encoding"];
    }> = [];
    for (const entry of entries) {
      const upload = isRecord(entry) && typeof entry.id === "string" ? this.pending.get(entry.id) : undefined;
      if (!upload?.received) return failure("file_not_found");
      const title = isRecord(entry) && typeof entry.title === "string" ? entry.title : upload.filename;
      ready.push({ upload, title, ...upload.received });
    }
    const channelId = typeof args.channel_id === "string" ? args.channel_id : "";
    const files = ready.map(({ upload, title, bytes, encoding }) => {
      this.pending.delete(upload.fileId);
      this.ctx.uploads.push({
        file_id: upload.fileId,
        filename: upload.filename,
        title,
        bytes,
        channel_id: channelId,
        thread_ts: optionalString(args.thread_ts),
        initial_comment: optionalString(args.initial_comment),
        encoding,
      });
      const file = this.describe(
        upload.fileId,
        upload.filename,
        title,
        mimetypeOf(upload.filename),
        bytes.length,
      );
      this.files.set(upload.fileId, { file, bytes, loginPageOnly: false });
      return file;
    });
    return { ok: true, files };
  }

  /** `url_private` and `url_private_download`: the bytes for the bot token, the sign-in page otherwise. */
  serveFile(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const match = /^\/files-pri\/[^/]+-(F\w+)\//.exec(path);
    const stored = match?.[1] ? this.files.get(match[1]) : undefined;
    if (!stored || (req.method !== "GET" && req.method !== "HEAD")) {
      sendText(res, 404, "Not Found");
      return;
    }
    const authorized = bearerToken(req) === this.ctx.botToken && !stored.loginPageOnly;
    this.ctx.fileDownloads.push({ file_id: stored.file.id, authorized, at: Date.now() });
    if (!authorized) {
      sendText(res, 200, SIGN_IN_PAGE, "text/html");
      return;
    }
    res.writeHead(200, {
      "content-type": stored.file.mimetype,
      "content-length": stored.bytes.length,
      "content-disposition": `attachment; filename="${encodeURIComponent(stored.file.name)}"`,
    });
    res.end(req.method === "HEAD" ? undefined : stored.bytes);
  }

  handles(path: string): "upload" | "file" | undefined {
    if (path.startsWith(UPLOAD_PATH)) return "upload";
    if (path.startsWith(FILES_PATH)) return "file";
    return undefined;
  }

  private describe(id: string, name: string, title: string, mimetype: string, size: number): HostedFile {
    const base = `${this.ctx.origin}${FILES_PATH}${this.ctx.teamId}-${id}`;
    const encoded = encodeURIComponent(name);
    return {
      id,
      name,
      title,
      mimetype,
      filetype: extname(name).slice(1).toLowerCase() || "binary",
      size,
      url_private: `${base}/${encoded}`,
      url_private_download: `${base}/download/${encoded}`,
    };
  }

  private nextFileId(): string {
    this.fileCount += 1;
    return `F${String(this.fileCount).padStart(10, "0")}`;
  }
}

const MIME_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".csv": "text/csv",
  ".txt": "text/plain",
  ".json": "application/json",
  ".html": "text/html",
  ".zip": "application/zip",
};

function mimetypeOf(filename: string): string {
  return MIME_TYPES[extname(filename).toLowerCase()] ?? "application/octet-stream";
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
