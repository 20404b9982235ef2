/**
 * discord.js trusts every gateway dispatch: a MESSAGE_UPDATE whose `embeds` is not a list, or
 * an INTERACTION_CREATE without `data`, throws inside its packet handler, which runs in an
 * async listener, so the throw becomes an unhandled rejection and Node ends the process. One
 * bad dispatch (a Discord bug, a proxy, a future field change) must cost that event only, so
 * each packet is handled inside a try: what cannot be read is logged and dropped.
 */
import type { Client } from "discord.js";
import type { Logger } from "../../src/logger.ts";

/** The private method of discord.js's WebSocketManager that hands a packet to its handler. */
interface PacketHandling {
  handlePacket(packet?: unknown, shard?: unknown): boolean;
}

function hasPacketHandling(ws: unknown): ws is PacketHandling {
  return typeof (ws as Partial<PacketHandling> | null)?.handlePacket === "function";
}

export function guardDispatches(client: Client, logger: Logger): void {
  const ws: unknown = client.ws;
  if (!hasPacketHandling(ws)) {
    // A discord.js that renamed it: the bot still works, only without this guard.
    logger.warn("discord.js has no handlePacket: malformed gateway dispatches are not guarded");
    return;
  }
  const handle = ws.handlePacket.bind(ws);
  ws.handlePacket = (packet, shard) => {
    try {
      return handle(packet, shard);
    } catch (error) {
      const type = (packet as { t?: unknown } | null)?.t;
      logger.warn(
        { err: error, dispatch: typeof type === "string" ? type.slice(0, 64) : null },
        "ignored a Discord gateway dispatch that could not be read",
      );
      return false;
    }
  };
}
