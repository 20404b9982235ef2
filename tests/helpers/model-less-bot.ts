/** The bot's core with no model, defaults for the rest: for tests of what runs ```python blocks. */
import { Bot, type BotOptions } from "../../src/bot/bot.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/logger.ts";

export function modelLessBot(options: Pick<BotOptions, "store" | "sandbox"> & Partial<BotOptions>): Bot {
  return new Bot({
    model: null,
    agent: loadConfig({}).agent,
    modelSeesImages: false,
    logger: silentLogger(),
    ...options,
  });
}
