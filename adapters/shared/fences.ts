/** Code fences in text that is shown inside a code block, on any Markdown-like platform. */

/** A zero-width space inside every run of three backticks, so it cannot open or close a block. */
export function breakFences(text: string): string {
  return text.replace(/`{3,}/g, (run) => (run.match(/`{1,2}/g) ?? []).join("\u200b"));
}

/** The text without its trailing line breaks, which a code block would show as empty lines. */
export function trimTrailingNewlines(text: string): string {
  let end = text.length;
  while (text[end - 1] === "\n" || text[end - 1] === "\r") end--;
  return text.slice(0, end);
}
