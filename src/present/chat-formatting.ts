/**
 * How a chat shows the bot's text, as the system prompt tells the model. Each adapter declares
 * its own, so adding a platform never means editing the agent.
 */
export interface ChatFormatting {
  /** A short name for logs and transcripts: "slack", "discord", "markdown". */
  name: string;
  /** A sentence or two for the system prompt: where the answer appears and what renders there. */
  promptHint: string;
}

/** The command line and the in-memory adapter: Markdown shown as it is. */
export const PLAIN_MARKDOWN: ChatFormatting = {
  name: "markdown",
  promptHint: "You answer in a terminal that shows Markdown as plain text.",
};
