/**
 * Request bodies as Discord reads them: JSON, or `multipart/form-data` with the JSON in the
 * `payload_json` field and each file in a `files[n]` part, where `n` is the id the JSON's
 * `attachments[].id` refers to. Parsed with the platform's own multipart parser.
 */
import type { IncomingMessage } from "node:http";
import { ErrorCode } from "./protocol.ts";
import { type Answer, contentType, fail, isRecord } from "./wire.ts";

export interface UploadedFile {
  /** The `n` of `files[n]`; files sent under another field name are numbered in order. */
  index: string;
  field: string;
  filename: string;
  data: Buffer;
  contentType: string | undefined;
}

export interface ParsedBody {
  json: Record<string, unknown>;
  /** A body that is a JSON array (command bulk overwrite) is here, with `json` left empty. */
  list?: unknown[];
  files: UploadedFile[];
  encoding: "json" | "multipart" | "none";
}

const FILE_FIELD = /^files\[(\d+)\]$/;

export async function parseBody(req: IncomingMessage, body: Buffer): Promise<ParsedBody | Answer> {
  const type = contentType(req);
  if (body.length === 0) return { json: {}, files: [], encoding: "none" };
  if (type === "multipart/form-data") return parseMultipart(req, body);
  const json = parseJson(body.toString("utf8"));
  if (json === undefined) return invalidJson();
  if (Array.isArray(json)) return { json: {}, list: json, files: [], encoding: "json" };
  return { json, files: [], encoding: "json" };
}

async function parseMultipart(req: IncomingMessage, body: Buffer): Promise<ParsedBody | Answer> {
  let form: FormData;
  try {
    const response = new Response(new Uint8Array(body), {
      headers: { "content-type": req.headers["content-type"] ?? "" },
    });
    form = await response.formData();
  } catch {
    return fail(400, ErrorCode.InvalidFormBody, "Invalid Form Body");
  }
  let json: Record<string, unknown> = {};
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  for (const [field, value] of form) {
    if (typeof value === "string") {
      if (field === "payload_json") {
        const parsed = parseJson(value);
        if (!isRecord(parsed)) return invalidJson();
        json = parsed;
      } else {
        fields[field] = value;
      }
      continue;
    }
    const index = FILE_FIELD.exec(field)?.[1] ?? String(files.length);
    files.push({
      index,
      field,
      filename: value.name,
      data: Buffer.from(await value.arrayBuffer()),
      contentType: value.type === "" ? undefined : value.type,
    });
  }
  // Discord takes plain form fields (`content`, ...) when there is no `payload_json`.
  if (!form.has("payload_json")) json = { ...fields };
  return { json, files, encoding: "multipart" };
}

/** An object or an array, as Discord takes no other JSON body. */
function parseJson(text: string): Record<string, unknown> | unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) || Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function invalidJson(): Answer {
  return fail(400, ErrorCode.InvalidJson, "The request body contains invalid JSON.");
}

export function isAnswer(value: ParsedBody | Answer): value is Answer {
  return "status" in value;
}
