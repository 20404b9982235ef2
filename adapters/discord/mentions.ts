/**
 * Text that cannot read as a mention. `allowedMentions: { parse: [] }` already stops every
 * ping, but Discord still draws `@everyone` and `<@&role>` as mentions, so a model (or a
 * script's output) could make a message look like it pinged a whole server. A zero-width
 * space after the `@` or `<` breaks the syntax and reads the same. Code keeps its exact
 * bytes: Discord draws no mentions inside code spans or blocks. Pure.
 */

const ZERO_WIDTH_SPACE = "\u200b";
/** Fenced blocks (closed or still streaming) and inline code spans, which are left alone. */
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]+`/g;
const MENTION = /@(everyone|here)\b|<(@[!&]?\d+|#\d+)>/g;

export function defuseMentions(text: string): string {
  let out = "";
  let last = 0;
  for (const code of text.matchAll(CODE)) {
    out += defuse(text.slice(last, code.index)) + code[0];
    last = code.index + code[0].length;
  }
  return out + defuse(text.slice(last));
}

/** For literal text, where every backtick is escaped and nothing is code. */
export function defuse(prose: string): string {
  return prose.replace(MENTION, (match, everyone: string | undefined) =>
    everyone ? `@${ZERO_WIDTH_SPACE}${everyone}` : `<${ZERO_WIDTH_SPACE}${match.slice(1)}`,
  );
}
