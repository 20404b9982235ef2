/**
 * A message that is only a fenced Python block runs as it is, without the model, like a
 * notebook cell. The fence may say python or py, or nothing at all.
 */
const FENCED = /^\s*```[ \t]*(python3?|py)?[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```\s*$/i;

export function extractDirectCode(text: string): string | null {
  const match = FENCED.exec(text);
  if (!match) return null;
  const code = match[2] ?? "";
  return code.trim() ? code : null;
}
