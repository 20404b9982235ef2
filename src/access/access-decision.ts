/**
 * Who may use the bot, as the core sees it: a gate asked once per message, before anything
 * visible happens (no thread, no reaction, no sandbox). The rules behind it live in
 * src/access/; the core only needs the answer.
 */
import type { IncomingMessage } from "../bot/incoming-message.ts";

export type AccessDecision =
  | {
      allowed: true;
      /** Admins may use the admin commands and are exempt from usage limits. */
      admin: boolean;
      /** Which rule let the message in, for the log. */
      reason: string;
    }
  | {
      allowed: false;
      /** Which rule refused it, for the log (never shown to the person). */
      reason: string;
      /** The one short reply the person gets. */
      text: string;
    };

export interface AccessGate {
  decide(message: Pick<IncomingMessage, "conversation" | "author" | "place">): AccessDecision;
}

/** No rules configured: everyone may use the bot and nobody is an admin. */
export const OPEN_ACCESS: AccessGate = {
  decide: () => ({ allowed: true, admin: false, reason: "no access rules" }),
};
