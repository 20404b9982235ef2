/**
 * The longest message the bot reads. A pasted log or data dump of tens of thousands of
 * characters would fill the model's context (and the bill) and crowd out the conversation;
 * as a file it lands in /mnt/data, where code can read all of it.
 */
export const MAX_MESSAGE_CHARS = 20_000;

/** Null when the text fits; otherwise what the person is told instead of an answer. */
export function oversizedMessageText(text: string): string | null {
  if (text.length <= MAX_MESSAGE_CHARS) return null;
  return (
    `Your message is ${text.length.toLocaleString("en-US")} characters long, and I read at most ` +
    `${MAX_MESSAGE_CHARS.toLocaleString("en-US")} in one message, so I did not send it to the model. ` +
    "Attach long text as a file (for example notes.txt) and ask about it: files land in /mnt/data, where I can read all of it."
  );
}
