/** The status icons as Unicode emoji, for platforms that show them as they are (Discord, the web chat). */
import type { StatusIcons } from "./surface.ts";

export const EMOJI_ICONS: StatusIcons = {
  code: "🐍",
  ok: "✅",
  error: "❌",
  timeout: "⏱️",
  crash: "💥",
  cancelled: "🚫",
  notice: "ℹ️",
  warning: "⚠️",
  waiting: "⏳",
};
