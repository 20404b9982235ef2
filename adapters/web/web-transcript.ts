/**
 * The web chat's own message history, as Slack's servers keep Slack's: conversations and
 * their posts (the user's messages and the bot's, with their attachments and the state shown
 * on the user's message), in SQLite at DATA_DIR/web.sqlite. The bot's store keeps what the
 * model needs; this keeps what the page shows. Every change gives the conversation a new
 * version number, stored on the post it touched, so a page that reconnects asks for the posts
 * changed after the last version it saw. Rows are checked again on read.
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import type { ShownStatus } from "../../src/present/surface.ts";
import type { TableData } from "../../src/sandbox/types.ts";
import { preparePrivateDatabase } from "../../src/store/private-files.ts";
import { toConversation, toPost, toStoredFile } from "./web-transcript-rows.ts";

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  /** The version of the latest change to the conversation or its posts. */
  version: number;
}

export interface FileRef {
  id: string;
  name: string;
  size: number;
  mime: string;
}

export interface StoredFile extends FileRef {
  conversationId: string;
  sha256: string;
}

export type PostRole = "user" | "bot";

export interface Post {
  id: string;
  conversationId: string;
  role: PostRole;
  /** The source; rendered when shown. */
  markdown: string;
  /** A table the code displayed, shown above `markdown` (its note); kept as data and rendered when shown. */
  table: TableData | null;
  attachments: FileRef[];
  /** On a user's message: the state of its reply. */
  status: ShownStatus | null;
  /** For a bot post, the user's message it answers. */
  replyTo: string | null;
  edits: number;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export const DEFAULT_TITLE = "New conversation";

const SCHEMA = [
  `CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     version INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE posts (
     id TEXT PRIMARY KEY,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     version INTEGER NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('user', 'bot')),
     markdown TEXT NOT NULL,
     attachments TEXT NOT NULL, -- JSON array of FileRef
     status TEXT,
     reply_to TEXT,
     client_id TEXT,
     edits INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (conversation_id, client_id)
   );
   CREATE INDEX posts_by_conversation ON posts (conversation_id, seq);
   CREATE TABLE files (
     id TEXT PRIMARY KEY,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     sha256 TEXT NOT NULL,
     name TEXT NOT NULL,
     size INTEGER NOT NULL,
     mime TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX files_by_hash ON files (sha256);`,
  // JSON TableData: the post is a table the code displayed.
  "ALTER TABLE posts ADD COLUMN table_data TEXT;",
];

/** Ids people cannot guess: a conversation's id is all it takes to address it. */
export function newId(): string {
  return randomBytes(16).toString("base64url");
}

export class WebTranscript {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly now: () => number = Date.now,
  ) {
    if (file !== ":memory:") preparePrivateDatabase(file);
    this.db = new Database(file);
    if (file !== ":memory:") this.db.pragma("journal_mode = WAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
  }

  close(): void {
    this.db.close();
  }

  createConversation(title = DEFAULT_TITLE): Conversation {
    const now = this.now();
    const id = newId();
    this.db
      .prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)")
      .run(id, title, now, now);
    return { id, title, createdAt: now, updatedAt: now, version: 0 };
  }

  listConversations(): Conversation[] {
    return this.db
      .prepare("SELECT * FROM conversations ORDER BY updated_at DESC, created_at DESC")
      .all()
      .map(toConversation);
  }

  getConversation(id: string): Conversation | null {
    const row = this.db.prepare("SELECT * FROM conversations WHERE id = ?").get(id);
    return row ? toConversation(row) : null;
  }

  /** Null when the conversation is gone. */
  renameConversation(id: string, title: string): Conversation | null {
    return this.db.transaction(() => {
      if (!this.bump(id)) return null;
      this.db.prepare("UPDATE conversations SET title = ? WHERE id = ?").run(title, id);
      return this.getConversation(id);
    })();
  }

  /** Removes the conversation with its posts and files; returns the hashes no other file uses. */
  deleteConversation(id: string): string[] {
    return this.db.transaction(() => {
      const hashes = this.db
        .prepare("SELECT DISTINCT sha256 FROM files WHERE conversation_id = ?")
        .pluck()
        .all(id)
        .map(String);
      this.db.prepare("DELETE FROM conversations WHERE id = ?").run(id);
      const stillUsed = this.db.prepare("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1").pluck();
      return hashes.filter((hash) => stillUsed.get(hash) === undefined);
    })();
  }

  addPost(
    conversationId: string,
    post: {
      role: PostRole;
      markdown: string;
      attachments?: FileRef[];
      table?: TableData | null;
      replyTo?: string | null;
      clientId?: string | null;
    },
  ): Post | null {
    return this.db.transaction(() => {
      const version = this.bump(conversationId);
      if (version === null) return null;
      const now = this.now();
      const id = newId();
      const seq = Number(
        this.db
          .prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM posts WHERE conversation_id = ?")
          .pluck()
          .get(conversationId),
      );
      this.db
        .prepare(
          `INSERT INTO posts (id, conversation_id, seq, version, role, markdown, attachments, table_data, reply_to, client_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          conversationId,
          seq,
          version,
          post.role,
          post.markdown,
          JSON.stringify(post.attachments ?? []),
          post.table ? JSON.stringify(post.table) : null,
          post.replyTo ?? null,
          post.clientId ?? null,
          now,
          now,
        );
      return this.getPost(id);
    })();
  }

  findByClientId(conversationId: string, clientId: string): Post | null {
    const row = this.db
      .prepare("SELECT * FROM posts WHERE conversation_id = ? AND client_id = ?")
      .get(conversationId, clientId);
    return row ? toPost(row) : null;
  }

  getPost(id: string): Post | null {
    const row = this.db.prepare("SELECT * FROM posts WHERE id = ?").get(id);
    return row ? toPost(row) : null;
  }

  editPost(id: string, markdown: string): Post | null {
    return this.updatePost(id, "markdown = ?, edits = edits + 1", markdown);
  }

  setStatus(id: string, status: ShownStatus): Post | null {
    return this.updatePost(id, "status = ?", status);
  }

  /** Oldest first; with `afterVersion`, only the posts changed since. */
  listPosts(conversationId: string, afterVersion = -1): Post[] {
    return this.db
      .prepare("SELECT * FROM posts WHERE conversation_id = ? AND version > ? ORDER BY seq")
      .all(conversationId, afterVersion)
      .map(toPost);
  }

  hasUserPosts(conversationId: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM posts WHERE conversation_id = ? AND role = 'user' LIMIT 1")
        .get(conversationId) !== undefined
    );
  }

  addFile(
    conversationId: string,
    file: { sha256: string; name: string; size: number; mime: string },
  ): FileRef {
    const id = newId();
    this.db
      .prepare(
        "INSERT INTO files (id, conversation_id, sha256, name, size, mime, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(id, conversationId, file.sha256, file.name, file.size, file.mime, this.now());
    return { id, name: file.name, size: file.size, mime: file.mime };
  }

  getFile(id: string): StoredFile | null {
    const row = this.db.prepare("SELECT * FROM files WHERE id = ?").get(id);
    return row ? toStoredFile(row) : null;
  }

  private updatePost(id: string, assignments: string, value: string): Post | null {
    return this.db.transaction(() => {
      const post = this.getPost(id);
      if (!post) return null;
      const version = this.bump(post.conversationId);
      if (version === null) return null;
      this.db
        .prepare(`UPDATE posts SET ${assignments}, version = ?, updated_at = ? WHERE id = ?`)
        .run(value, version, this.now(), id);
      return this.getPost(id);
    })();
  }

  /** The conversation's next version, or null when it is gone. */
  private bump(conversationId: string): number | null {
    const row = this.db
      .prepare(
        "UPDATE conversations SET version = version + 1, updated_at = ? WHERE id = ? RETURNING version",
      )
      .get(this.now(), conversationId) as { version: number } | undefined;
    return row ? Number(row.version) : null;
  }

  private migrate(): void {
    const applied = Number(this.db.pragma("user_version", { simple: true }));
    for (const [index, sql] of SCHEMA.entries()) {
      if (index < applied) continue;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${index + 1}`);
      })();
    }
  }
}
