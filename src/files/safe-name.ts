/**
 * File names that come from outside (chat attachments, sandbox output) made safe to use as
 * one plain file name: no directories, no dot-files, no control characters, bounded length.
 */
const MAX_NAME_LENGTH = 120;
/** 120 letters of a non-Latin script can pass 255 bytes, the file system's limit; stay well under. */
const MAX_NAME_BYTES = 200;

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
  if (name.length > MAX_NAME_LENGTH || Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 && name.length - dot <= 12 ? name.slice(dot) : "";
    // By code points, so a letter outside the BMP is never cut in half.
    let stem = [...name.slice(0, name.length - ext.length)].slice(0, MAX_NAME_LENGTH - ext.length);
    while (stem.length > 1 && Buffer.byteLength(stem.join("") + ext) > MAX_NAME_BYTES)
      stem = stem.slice(0, -1);
    name = stem.join("") + ext;
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
