/**
 * What was wrong with a file name that came from outside, in words, and a form of it that is
 * safe to quote in a reply: a name can carry NUL, line breaks or right-to-left overrides
 * (U+202E turns "invoice\u202Efdp.exe" into what reads as "invoiceexe.pdf") that would garble or
 * disguise the very message that warns about them.
 */

/** Bidirectional formatting characters: embeddings, overrides, isolates and marks. */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** The longest name Linux file systems take, in bytes. */
export const MAX_NAME_BYTES = 255;
const MAX_SHOWN = 80;

/** The name with every invisible character spelled out ([U+202E]) and shortened for a reply. */
export function printableName(raw: string): string {
  const spelled = raw.replace(
    INVISIBLE,
    (char) => `[U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}]`,
  );
  const chars = [...spelled];
  return chars.length > MAX_SHOWN ? `${chars.slice(0, MAX_SHOWN).join("")}…` : spelled;
}

/** Why a name had to change, one phrase per reason; empty when only harmless characters differ. */
export function nameProblems(raw: string): string[] {
  const problems: string[] = [];
  if (/[\\/]/.test(raw)) {
    problems.push(
      "folder parts (such as ../ or an absolute path) were dropped, since attachments go only into /mnt/data",
    );
  }
  if (/\p{Cc}/u.test(raw)) problems.push("control characters (such as NUL or a line break) were removed");
  if (BIDI.test(raw)) {
    problems.push(
      "text-direction characters (such as U+202E), which can disguise a file's real type, were replaced",
    );
  }
  if (Buffer.byteLength(raw, "utf8") > MAX_NAME_BYTES) {
    problems.push(
      `it is over ${MAX_NAME_BYTES} bytes, the longest name a file system takes, so it was shortened`,
    );
  }
  return problems;
}
