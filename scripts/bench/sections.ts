/** BENCHMARKS.md's sections that a part of the bench run alone (--only) rewrites by itself. */
import { readFile } from "node:fs/promises";

/** The file with `section` in place of its earlier section under `heading`, or after the rest. */
export async function withSection(file: string, heading: string, section: string): Promise<string> {
  const current = await readFile(file, "utf8").catch(() => "# Benchmarks\n");
  const lines = current.split("\n");
  const start = lines.findIndex((line) => line.startsWith(heading));
  if (start === -1) return `${current.trimEnd()}\n\n${section.trimEnd()}\n`;
  const next = lines.findIndex((line, index) => index > start && /^#{1,2} /.test(line));
  const before = lines.slice(0, start).join("\n").trimEnd();
  const after = next === -1 ? "" : `\n\n${lines.slice(next).join("\n").trimEnd()}`;
  return `${before}\n\n${section.trimEnd()}${after}\n`;
}
