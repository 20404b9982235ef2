/**
 * Markdown → the HTML the page shows, on the server, so the page never turns text into markup
 * itself. markdown-it runs with `html: false` (raw HTML in a model's answer or in Python's
 * output becomes visible text) and keeps its link validation (no javascript: or data: links);
 * highlight.js colours fenced code with class names only, which the strict CSP allows. A run's
 * output fence becomes a collapsible block. Pure.
 *
 * A post reaches the page as a PostView: that HTML (a table post's table first, built from its
 * cells in web-table.ts), and its attachments as plain data the page turns into elements with
 * textContent and attributes.
 */
import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";
import { OUTPUT_FENCE } from "./format.ts";
import { isHtml, isInlineImage } from "./web-file-store.ts";
import { renderTableHtml } from "./web-table.ts";
import type { FileRef, Post } from "./web-transcript.ts";

/** Output longer than this many lines starts collapsed. */
const OPEN_OUTPUT_LINES = 15;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

md.renderer.rules.fence = (tokens, index) => {
  const token = tokens[index];
  if (!token) return "";
  const info = token.info.trim().split(/\s+/)[0] ?? "";
  const code = token.content.replace(/\n$/, "");
  if (info === OUTPUT_FENCE) {
    const lines = code.split("\n").length;
    const open = lines <= OPEN_OUTPUT_LINES ? " open" : "";
    const label = `Output (${lines} ${lines === 1 ? "line" : "lines"})`;
    return (
      `<details class="output" data-testid="run-output"${open}><summary>${label}</summary>` +
      `<pre><code>${md.utils.escapeHtml(code)}</code></pre></details>\n`
    );
  }
  const language = info === "py" ? "python" : info;
  if (language && hljs.getLanguage(language)) {
    const highlighted = hljs.highlight(code, { language, ignoreIllegals: true }).value;
    return (
      `<pre class="code" data-testid="code-block"><code class="hljs language-${md.utils.escapeHtml(language)}">` +
      `${highlighted}</code></pre>\n`
    );
  }
  return `<pre class="code" data-testid="code-block"><code class="hljs">${md.utils.escapeHtml(code)}</code></pre>\n`;
};

// Links leave the page in a new tab and tell the target nothing about it.
const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  const token = tokens[index];
  token?.attrSet("target", "_blank");
  token?.attrSet("rel", "noopener noreferrer nofollow");
  return defaultLinkOpen(tokens, index, options, env, self);
};

// Table alignment as a class: the CSP forbids inline styles.
for (const rule of ["th_open", "td_open"] as const) {
  md.renderer.rules[rule] = (tokens, index, options, _env, self) => {
    const token = tokens[index];
    const align = /text-align:(left|center|right)/.exec(String(token?.attrGet("style") ?? ""))?.[1];
    if (token && align) {
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== "style");
      token.attrJoin("class", `align-${align}`);
    }
    return self.renderToken(tokens, index, options);
  };
}

export function renderMarkdown(markdown: string): string {
  return md.render(markdown);
}

export interface AttachmentView extends FileRef {
  url: string;
  /** How the page shows it: inline, in a sandboxed frame, or as a download link. */
  kind: "image" | "html" | "file";
}

export interface PostView {
  id: string;
  role: Post["role"];
  /** "table": a table the code displayed, with its note and its CSV. */
  kind: "text" | "table";
  html: string;
  status: Post["status"];
  replyTo: string | null;
  attachments: AttachmentView[];
  edited: boolean;
  createdAt: number;
  version: number;
}

export function viewPost(post: Post): PostView {
  return {
    id: post.id,
    role: post.role,
    kind: post.table ? "table" : "text",
    html:
      (post.table ? renderTableHtml(post.table) : "") + (post.markdown ? renderMarkdown(post.markdown) : ""),
    status: post.status,
    replyTo: post.replyTo,
    attachments: post.attachments.map((file) => ({
      ...file,
      url: `/files/${encodeURIComponent(file.id)}`,
      kind: isInlineImage(file.mime) ? "image" : isHtml(file.mime) ? "html" : "file",
    })),
    edited: post.edits > 0,
    createdAt: post.createdAt,
    version: post.version,
  };
}
