import { describe, expect, it } from "vitest";
import { BOT_PERMISSIONS } from "./discord-config.ts";

describe("the bot's Discord permissions", () => {
  it("are exactly what it uses: read, answer in threads it starts, attach files, react", () => {
    expect(BOT_PERMISSIONS.toArray().sort()).toEqual([
      "AddReactions",
      "AttachFiles",
      "CreatePublicThreads",
      "ReadMessageHistory",
      "SendMessages",
      "SendMessagesInThreads",
      "ViewChannel",
    ]);
    expect(BOT_PERMISSIONS.bitfield).toBe(309237746752n);
  });
});
