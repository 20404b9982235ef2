/** The web transcript's rows read back into objects, checked again: a damaged row fails loudly. */
import type { ShownStatus } from "../../src/present/surface.ts";
import type { TableData } from "../../src/sandbox/types.ts";
import type { Conversation, FileRef, Post, StoredFile } from "./web-transcript.ts";

const STATUSES: readonly ShownStatus[] = ["queued", "working", "done", "failed"];

type Row = Record<string, unknown>;

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw new Error(`web transcript: ${column} is not text`);
  return value;
}

function integer(row: Row, column: string): number {
  const value = Number(row[column]);
  if (!Number.isSafeInteger(value)) throw new Error(`web transcript: ${column} is not a whole number`);
  return value;
}

export function toConversation(raw: unknown): Conversation {
  const row = raw as Row;
  return {
    id: text(row, "id"),
    title: text(row, "title"),
    createdAt: integer(row, "created_at"),
    updatedAt: integer(row, "updated_at"),
    version: integer(row, "version"),
  };
}

export function toPost(raw: unknown): Post {
  const row = raw as Row;
  const role = text(row, "role");
  const status = row.status;
  return {
    id: text(row, "id"),
    conversationId: text(row, "conversation_id"),
    role: role === "user" ? "user" : "bot",
    markdown: text(row, "markdown"),
    attachments: parseFileRefs(text(row, "attachments")),
    table: row.table_data == null ? null : parseTable(text(row, "table_data")),
    status: STATUSES.find((known) => known === status) ?? null,
    replyTo: typeof row.reply_to === "string" ? row.reply_to : null,
    edits: integer(row, "edits"),
    createdAt: integer(row, "created_at"),
    updatedAt: integer(row, "updated_at"),
    version: integer(row, "version"),
  };
}

export function toStoredFile(raw: unknown): StoredFile {
  const row = raw as Row;
  return {
    id: text(row, "id"),
    conversationId: text(row, "conversation_id"),
    sha256: text(row, "sha256"),
    name: text(row, "name"),
    size: integer(row, "size"),
    mime: text(row, "mime"),
  };
}

function parseFileRefs(json: string): FileRef[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new Error("web transcript: attachments are not a list");
  return parsed.map((item: unknown) => {
    const ref = item as Partial<FileRef> | null;
    if (
      typeof ref?.id !== "string" ||
      typeof ref.name !== "string" ||
      typeof ref.size !== "number" ||
      typeof ref.mime !== "string"
    ) {
      throw new Error("web transcript: an attachment is malformed");
    }
    return { id: ref.id, name: ref.name, size: ref.size, mime: ref.mime };
  });
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");
const isBooleans = (value: unknown): value is boolean[] =>
  Array.isArray(value) && value.every((item) => typeof item === "boolean");
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && Number(value) >= 0;

function parseTable(json: string): TableData {
  const table = JSON.parse(json) as Partial<Record<keyof TableData, unknown>> | null;
  const width = isStrings(table?.columns) ? table.columns.length : -1;
  const isRows = (value: unknown): value is string[][] =>
    Array.isArray(value) && value.every((row) => isStrings(row) && row.length === width);
  if (
    (table?.kind !== "DataFrame" && table?.kind !== "Series") ||
    !isStrings(table.columns) ||
    !isCount(table.indexColumns) ||
    !isBooleans(table.numeric) ||
    table.numeric.length !== width ||
    !isRows(table.head) ||
    !isRows(table.tail) ||
    !isCount(table.totalRows) ||
    !isCount(table.totalColumns) ||
    (table.csvMissing !== null && typeof table.csvMissing !== "string")
  ) {
    throw new Error("web transcript: a table is malformed");
  }
  return {
    kind: table.kind,
    columns: table.columns,
    indexColumns: table.indexColumns,
    numeric: table.numeric,
    head: table.head,
    tail: table.tail,
    totalRows: table.totalRows,
    totalColumns: table.totalColumns,
    csvMissing: table.csvMissing,
  };
}
