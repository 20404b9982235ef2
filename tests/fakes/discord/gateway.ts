/**
 * The gateway: HELLO, heartbeats and their ACKs, IDENTIFY (token, intents, shard checked) then
 * READY and GUILD_CREATE, sessions whose dispatches are numbered and kept so that RESUME can
 * replay what a client missed before RESUMED, and the ways Discord ends a connection: op 7
 * RECONNECT, op 9 INVALID_SESSION, a close code, or a dropped socket. Dispatches go to every
 * live session whose intents cover them and whose shard owns them (shards.ts: a guild's events
 * to its shard, DMs to shard 0); MESSAGE_CONTENT decides whether content is blanked.
 */

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { HeldConnections } from "../held-connections.ts";
import { GatewayConnection } from "./gateway-connection.ts";
import { guildCreateObject, readyObject } from "./payloads.ts";
import {
  API_VERSION,
  CloseCode,
  Intent,
  intentFor,
  Op,
  PRIVILEGED_INTENTS,
  randomHex,
  unknownIntentBits,
} from "./protocol.ts";
import type { Recorder } from "./recorder.ts";
import { guildOfDispatch, ownsGuild, readIdentifyShard, type Shard, shardReceives } from "./shards.ts";
import type { GatewayConnectionRecord } from "./types.ts";
import { isRecord } from "./wire.ts";
import type { World } from "./world.ts";

export const GATEWAY_PATH = "/gateway";
export const RESUME_PATH = "/gateway/resume";
const CLOSE_GRACE_MS = 1_000;
const INVALID_SHARD: [number, string] = [CloseCode.InvalidShard, "Invalid shard."];

export interface GatewayContext {
  token: string;
  world: World;
  recorder: Recorder;
  wsOrigin: string;
  heartbeatIntervalMs: number;
  privilegedIntents: number;
}

export interface DispatchFlags {
  inGuild: boolean;
  contentGated: boolean;
}

interface Session {
  id: string;
  intents: number;
  shard: Shard;
  seq: number;
  log: Array<{ s: number; t: string; d: unknown }>;
  connection: GatewayConnection | undefined;
  valid: boolean;
}

export class GatewayServer {
  readonly url: string;
  readonly resumeUrl: string;
  // `autoPong` answers WebSocket pings; the gateway's own liveness is op 1/op 11.
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<GatewayConnection>();
  private readonly sent: Array<{ t: string; d: unknown; flags: DispatchFlags }> = [];
  /** A network outage a test can start and end. */
  private readonly outage = new HeldConnections();
  /** Guilds that are slow to load: READY lists them, their GUILD_CREATE waits (same hold and release). */
  private readonly guildLoading = new HeldConnections();

  constructor(private readonly ctx: GatewayContext) {
    this.url = `${ctx.wsOrigin}${GATEWAY_PATH}`;
    this.resumeUrl = `${ctx.wsOrigin}${RESUME_PATH}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const refusal = refuseUpgrade(url);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const upgrade = () => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url));
    this.outage.admit(upgrade);
  }

  /** New connections wait, unanswered, until `releaseConnections`. */
  holdConnections(): void {
    this.outage.hold();
  }

  releaseConnections(): void {
    this.outage.release();
  }

  /** After READY, the sessions' GUILD_CREATEs wait until `releaseGuilds`: a client still loading its guilds. */
  holdGuilds(): void {
    this.guildLoading.hold();
  }

  releaseGuilds(): void {
    this.guildLoading.release();
  }

  /** Whether a session exists that a test's dispatch can reach (now or on resume). */
  hasSession(): boolean {
    return [...this.sessions.values()].some((session) => session.valid);
  }

  dispatch(t: string, d: unknown, flags: DispatchFlags): void {
    this.sent.push({ t, d, flags });
    const guildId = guildOfDispatch(t, d);
    for (const session of this.sessions.values()) {
      if (!session.valid || !shardReceives(session.shard, guildId)) continue;
      const intent = intentFor(t, flags.inGuild);
      if (intent !== 0 && (session.intents & intent) === 0) continue;
      const blank = flags.contentGated && (session.intents & Intent.MessageContent) === 0;
      this.push(session, t, blank ? withoutContent(d) : d);
    }
  }

  /** Sends the latest dispatch of type `t` (any type when left out) once more, with a new `s`. */
  redeliver(t?: string): void {
    const last = [...this.sent].reverse().find((entry) => t === undefined || entry.t === t);
    if (!last) throw new Error(`fake Discord: nothing dispatched${t ? ` of type ${t}` : ""} to redeliver`);
    this.dispatch(last.t, last.d, last.flags);
  }

  reconnect(): void {
    for (const connection of this.liveConnections()) connection.send(Op.Reconnect, null);
  }

  invalidSession(resumable: boolean): void {
    for (const connection of this.liveConnections()) {
      const session = connection.sessionId ? this.sessions.get(connection.sessionId) : undefined;
      if (session) {
        session.connection = undefined;
        if (!resumable) session.valid = false;
      }
      connection.sessionId = undefined;
      connection.live = false;
      connection.send(Op.InvalidSession, resumable);
    }
  }

  /** Without `code` the TCP connection is cut (the client sees 1006); with one, a close frame. */
  drop(code?: number): void {
    for (const connection of this.liveConnections()) {
      if (code === undefined) connection.terminate();
      else connection.close(code, "fake Discord closed the connection");
    }
  }

  requestHeartbeat(): void {
    for (const connection of this.liveConnections()) connection.send(Op.Heartbeat, null);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => connection.terminate(), CLOSE_GRACE_MS);
            connection.ws.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            connection.close(1001, "fake Discord closing");
          }),
      ),
    );
    this.wss.close();
  }

  private liveConnections(): GatewayConnection[] {
    return [...this.connections].filter(
      (connection) => connection.open && connection.sessionId !== undefined,
    );
  }

  private accept(ws: WebSocket, url: URL): void {
    const { recorder } = this.ctx;
    const record: GatewayConnectionRecord = {
      id: recorder.connections.length + 1,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      compress: url.searchParams.get("compress") === "zlib-stream" ? "zlib-stream" : undefined,
      opened_at: Date.now(),
      closed_at: undefined,
      close_code: undefined,
      closed_by: undefined,
    };
    const connection = new GatewayConnection(ws, record, recorder);
    this.connections.add(connection);
    recorder.connections.push(record);
    recorder.emit("gateway-open", record);
    ws.on("error", () => ws.terminate());
    ws.on("close", (code) => this.onClose(connection, code));
    ws.on("message", (data, isBinary) => this.onFrame(connection, isBinary ? undefined : data.toString()));
    if (url.searchParams.get("v") !== String(API_VERSION)) {
      connection.close(CloseCode.InvalidApiVersion, "Invalid API version");
      return;
    }
    connection.send(Op.Hello, {
      heartbeat_interval: this.ctx.heartbeatIntervalMs,
      _trace: ['["gateway-fake",{"micros":0}]'],
    });
  }

  private onClose(connection: GatewayConnection, code: number): void {
    const { record } = connection;
    record.closed_at = Date.now();
    record.close_code = code;
    record.closed_by = connection.closingByServer ? "server" : "client";
    this.connections.delete(connection);
    connection.dispose();
    const session = connection.sessionId ? this.sessions.get(connection.sessionId) : undefined;
    if (session?.connection === connection) {
      session.connection = undefined;
      // A client that closes with 1000 or 1001 ends its session; any other code keeps it resumable.
      if (!connection.closingByServer && (code === 1000 || code === 1001)) session.valid = false;
    }
    this.ctx.recorder.emit("gateway-close", record);
  }

  private onFrame(connection: GatewayConnection, text: string | undefined): void {
    let payload: unknown;
    try {
      payload = text === undefined ? undefined : JSON.parse(text);
    } catch {
      payload = undefined;
    }
    if (!isRecord(payload) || typeof payload.op !== "number") {
      connection.close(CloseCode.DecodeError, "Error while decoding payload.");
      return;
    }
    connection.recordIncoming({ op: payload.op, d: payload.d, s: null, t: null });
    const d = isRecord(payload.d) ? payload.d : {};
    switch (payload.op) {
      case Op.Heartbeat:
        connection.send(Op.HeartbeatAck, null);
        return;
      case Op.Identify:
        this.identify(connection, d);
        return;
      case Op.Resume:
        this.resume(connection, d);
        return;
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestGuildMembers:
        if (!connection.sessionId) connection.close(CloseCode.NotAuthenticated, "Not authenticated.");
        return;
      default:
        connection.close(CloseCode.UnknownOpcode, "Unknown opcode.");
    }
  }

  private identify(connection: GatewayConnection, d: Record<string, unknown>): void {
    const { ctx } = this;
    const intents = typeof d.intents === "number" ? d.intents : Number.NaN;
    const shard = readIdentifyShard(d.shard);
    const refusal = this.identifyRefusal(connection, d, intents, shard);
    const record = {
      token: typeof d.token === "string" ? d.token : "",
      intents,
      properties: d.properties,
      compress: d.compress === true,
      shard: d.shard,
      large_threshold: d.large_threshold,
      presence: d.presence,
      refused_with: refusal?.[0],
      at: Date.now(),
    };
    ctx.recorder.identifies.push(record);
    ctx.recorder.emit("gateway-identify", record);
    // identifyRefusal refuses a malformed shard too; `!shard` only tells the compiler so.
    if (refusal || !shard) {
      const [code, reason] = refusal ?? INVALID_SHARD;
      connection.close(code, reason);
      return;
    }
    const session: Session = { id: randomHex(16), intents, shard, seq: 0, log: [], connection, valid: true };
    this.sessions.set(session.id, session);
    connection.sessionId = session.id;
    connection.identifyCompress = record.compress;
    const guilds = ctx.world.guilds.filter((guild) => ownsGuild(shard, guild.id));
    this.push(
      session,
      "READY",
      readyObject(ctx.world, { id: session.id, resumeUrl: this.resumeUrl, shard: d.shard, guilds }),
    );
    connection.live = true;
    if ((intents & Intent.Guilds) === 0) return;
    this.guildLoading.admit(() => {
      for (const guild of guilds) this.push(session, "GUILD_CREATE", guildCreateObject(ctx.world, guild));
    });
  }

  private identifyRefusal(
    connection: GatewayConnection,
    d: Record<string, unknown>,
    intents: number,
    shard: Shard | null,
  ): [number, string] | undefined {
    if (connection.sessionId) return [CloseCode.AlreadyAuthenticated, "Already authenticated."];
    if (d.token !== this.ctx.token) return [CloseCode.AuthenticationFailed, "Authentication failed."];
    if (!Number.isInteger(intents) || intents < 0 || unknownIntentBits(intents) !== 0) {
      return [CloseCode.InvalidIntents, "Invalid intent(s)."];
    }
    if ((intents & PRIVILEGED_INTENTS & ~this.ctx.privilegedIntents) !== 0) {
      return [CloseCode.DisallowedIntents, "Disallowed intent(s)."];
    }
    // Discord refuses a shard id outside 0..count-1 (or a malformed pair) with 4010.
    if (!shard) return INVALID_SHARD;
    return undefined;
  }

  private resume(connection: GatewayConnection, d: Record<string, unknown>): void {
    const { recorder } = this.ctx;
    const session = typeof d.session_id === "string" ? this.sessions.get(d.session_id) : undefined;
    const seq = typeof d.seq === "number" ? d.seq : 0;
    if (connection.sessionId) {
      connection.close(CloseCode.AlreadyAuthenticated, "Already authenticated.");
      return;
    }
    if (d.token !== this.ctx.token) {
      connection.close(CloseCode.AuthenticationFailed, "Authentication failed.");
      return;
    }
    // A client cannot have seen more than was sent; Discord invalidates such a session too.
    const resumable = session?.valid === true && seq <= session.seq ? session : undefined;
    const missed = resumable ? resumable.log.filter((entry) => entry.s > seq) : [];
    const record = {
      session_id: typeof d.session_id === "string" ? d.session_id : "",
      seq,
      accepted: resumable !== undefined,
      replayed: missed.length,
      path: connection.record.path,
      at: Date.now(),
    };
    recorder.resumes.push(record);
    recorder.emit("gateway-resume", record);
    if (!resumable) {
      connection.send(Op.InvalidSession, false);
      return;
    }
    // A session lives on one connection: a resume elsewhere ends the old one.
    resumable.connection?.terminate();
    resumable.connection = connection;
    connection.sessionId = resumable.id;
    for (const entry of missed) connection.send(Op.Dispatch, entry.d, { s: entry.s, t: entry.t });
    this.push(resumable, "RESUMED", { _trace: ['["gateway-fake",{"micros":0}]'] });
    connection.live = true;
  }

  private push(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    session.log.push({ s: session.seq, t, d });
    const { connection } = session;
    const sendable = connection?.open && (connection.live || t === "READY" || t === "RESUMED");
    if (connection && sendable) connection.send(Op.Dispatch, d, { s: session.seq, t });
  }
}

/** What Discord sends a session without MESSAGE_CONTENT for others' guild messages. */
function withoutContent(d: unknown): unknown {
  if (!isRecord(d)) return d;
  const { poll: _poll, ...rest } = d;
  return { ...rest, content: "", embeds: [], attachments: [], components: [] };
}

function refuseUpgrade(url: URL): string | undefined {
  if (url.pathname !== GATEWAY_PATH && url.pathname !== RESUME_PATH) return "404 Not Found";
  const encoding = url.searchParams.get("encoding") ?? "json";
  if (encoding !== "json") return "400 Bad Request (the fake speaks encoding=json only)";
  const compress = url.searchParams.get("compress");
  if (compress !== null && compress !== "zlib-stream") {
    return "400 Bad Request (the fake compresses with zlib-stream only)";
  }
  return undefined;
}
