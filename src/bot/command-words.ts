/**
 * What a person's words mean before any model sees them, on every platform: the one-word
 * commands, and whether a slash command's text is Python to run or a question to answer.
 */
import type { BotCommand } from "./incoming-message.ts";

const COMMAND_WORDS: readonly BotCommand[] = ["reset", "files", "help", "usage", "status"];

/** `reset`, `files`, `help` or `usage` alone (any case, mention already removed) is a command. */
export function parseCommandWord(text: string): BotCommand | undefined {
  const word = text.trim().toLowerCase();
  return COMMAND_WORDS.find((command) => command === word);
}

const PYTHON_START =
  /^\s*(import\s|from\s+\S+\s+import\s|print\s*\(|def\s|class\s|for\s|while\s|if\s|with\s|try\s*:|async\s|await\s|lambda\b|#|@|[A-Za-z_][\w.[\]'"]*\s*(=|\+=|-=|\*=|\/=)(?!=)|[A-Za-z_][\w.]*\(.*\)\s*$|[\d\s+\-*/().%]+$)/;

/** A slash command's text: Python if it reads like Python, a question otherwise. */
export function looksLikePython(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed) return false;
  if (trimmed.startsWith("```")) return true;
  if (trimmed.includes("\n")) return true;
  return PYTHON_START.test(trimmed) && !/\?\s*$/.test(trimmed);
}
