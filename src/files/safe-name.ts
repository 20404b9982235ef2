/**
 * File names that come from outside (chat attachments, sandbox output) made safe to use as
 * one plain file name: no directories, no dot-files, no control characters, bounded length.
 */
const MAX_NAME_LENGTH = 120;

export function safeFileName(raw: string, fallback = "file"): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  let name = base
    .normalize("NFC")
    .replace(/\p{Cc}/gu, "")
    .replace(/[^\p{L}\p{N}._ ()+-]/gu, "_")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^[.\s]+/, "");
  if (!name || name === "." || name === "..") name = fallback;
  if (name.length > MAX_NAME_LENGTH) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 && name.length - dot <= 12 ? name.slice(dot) : "";
    name = name.slice(0, MAX_NAME_LENGTH - ext.length) + ext;
  }
  return name;
}

/** `report.csv`, then `report-2.csv`, `report-3.csv`… for the first name `taken` does not hold. */
export function uniqueName(name: string, taken: (candidate: string) => boolean): string {
  if (!taken(name)) return name;
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  for (let n = 2; ; n += 1) {
    const candidate = `${stem}-${n}${ext}`;
    if (!taken(candidate)) return candidate;
  }
}
