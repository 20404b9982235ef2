/** A surface that records what the presenter asks of it, for the presenter's unit tests. */
import { silentLogger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { CodeRunSummary, ReplyEvent } from "../../src/present/reply-events.ts";
import type { ReplySurface, ShownStatus, ShownTable, SurfaceText } from "../../src/present/surface.ts";

export const TEXT: SurfaceText = {
  fromMarkdown: (markdown) => markdown,
  literal: (text) => text,
  codeBlock: (code, maxChars) => {
    const block = `\`\`\`\n${code}\n\`\`\``;
    return block.length <= maxChars ? block : null;
  },
  split: (text, limit) => {
    const parts: string[] = [];
    for (let i = 0; i < text.length; i += limit) parts.push(text.slice(i, i + limit));
    return parts;
  },
  icons: {
    code: "[code]",
    ok: "[ok]",
    error: "[error]",
    timeout: "[timeout]",
    crash: "[crash]",
    cancelled: "[cancelled]",
    notice: "[i]",
    warning: "[!]",
    waiting: "[wait]",
  },
};

export type Call =
  | { kind: "post"; ref: string; text: string }
  | { kind: "edit"; ref: string; text: string }
  | { kind: "upload"; name: string; data: string; comment: string | undefined }
  | { kind: "status"; status: ShownStatus }
  | { kind: "typing" }
  | { kind: "table"; shown: ShownTable };

export function fakeSurface(
  capabilities: { edit?: boolean; status?: boolean; typing?: boolean; table?: boolean } = {},
) {
  const calls: Call[] = [];
  let next = 0;
  const surface: ReplySurface = {
    limits: { messageChars: 100, codeChars: 60, outputChars: 50, uploadBytes: 1_000 },
    text: TEXT,
    post: async (text) => {
      next += 1;
      calls.push({ kind: "post", ref: `m${next}`, text });
      return `m${next}`;
    },
    upload: async (name, data, comment) => {
      calls.push({ kind: "upload", name, data: data.toString(), comment });
    },
  };
  if (capabilities.edit !== false)
    surface.edit = async (ref, text) => void calls.push({ kind: "edit", ref, text });
  if (capabilities.status) surface.showStatus = async (status) => void calls.push({ kind: "status", status });
  if (capabilities.typing) surface.typing = async () => void calls.push({ kind: "typing" });
  if (capabilities.table) surface.table = async (shown) => void calls.push({ kind: "table", shown });
  return { surface, calls };
}

export async function present(
  surface: ReplySurface,
  events: ReplyEvent[],
  progressIntervalMs = 0,
): Promise<void> {
  const presenter = new ReplyPresenter(surface, { progressIntervalMs, logger: silentLogger() });
  for (const event of events) await presenter.sink(event);
  await presenter.flushed();
}

export const run = (overrides: Partial<CodeRunSummary>): CodeRunSummary => ({
  status: "ok",
  stdout: "",
  stderr: "",
  error: null,
  result: null,
  durationMs: 1_200,
  ...overrides,
});
