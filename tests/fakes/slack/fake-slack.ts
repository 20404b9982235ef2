/**
 * A fake Slack on 127.0.0.1 for driving the real `@slack/bolt` and `@slack/web-api` over real
 * HTTP and WebSocket: the Web API under `/api/`, Socket Mode on the same port, private files,
 * the v2 upload URL and `response_url`s; and, for HTTP mode, signed deliveries to the app.
 * Tests read what the bot did from the recorded state and script failures Slack can produce.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { FileStore } from "./files.ts";
import { type AppIdentity, eventCallback, nextEventId, slashCommandFields, TsClock } from "./payloads.ts";
import { postSigned } from "./signed-http.ts";
import { SocketModeServer } from "./socket-mode.ts";
import type {
  AssistantStatus,
  FakeEphemeral,
  FakeMessage,
  FakeReaction,
  FakeSlack,
  FakeSlackOptions,
  FakeUpload,
  FileDownload,
  RecordedCall,
  ResponseUrlPost,
  UploadPost,
} from "./types.ts";
import { WebApi } from "./web-api.ts";
import { contentType, isRecord, parseArgs, parseJsonOr, readBody, sendJson, sendText } from "./wire.ts";

export { SIGN_IN_PAGE } from "./files.ts";
export { slackSignature } from "./signed-http.ts";
export type * from "./types.ts";

export const FAKE_SLACK_DEFAULTS = {
  botToken: "xoxb-fake",
  appToken: "xapp-fake",
  signingSecret: "fake-signing-secret",
  botUserId: "UBOT",
  botId: "BBOT",
  teamId: "T0001",
  appId: "A0FAKEAPP",
  verificationToken: "fake-verification-token",
} as const;

const RESPONSE_URL_PATH = "/response-url/";
const WAIT_FOR_SOCKET_MS = 10_000;

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? FAKE_SLACK_DEFAULTS.botToken;
  const appToken = options.appToken ?? FAKE_SLACK_DEFAULTS.appToken;
  const signingSecret = options.signingSecret ?? FAKE_SLACK_DEFAULTS.signingSecret;
  const { botId, appId, verificationToken } = FAKE_SLACK_DEFAULTS;
  const app: AppIdentity = {
    teamId: options.teamId ?? FAKE_SLACK_DEFAULTS.teamId,
    appId,
    botUserId: options.botUserId ?? FAKE_SLACK_DEFAULTS.botUserId,
    verificationToken,
  };

  const calls: RecordedCall[] = [];
  const messages: FakeMessage[] = [];
  const ephemerals: FakeEphemeral[] = [];
  const uploads: FakeUpload[] = [];
  const reactions: FakeReaction[] = [];
  const assistantStatuses: AssistantStatus[] = [];
  const responseUrlPosts: ResponseUrlPost[] = [];
  const fileDownloads: FileDownload[] = [];
  const uploadPosts: UploadPost[] = [];
  const clock = new TsClock();
  let responseUrls = 0;

  // Assigned once the port is known; no request can arrive before that.
  let route: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => {};
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 500, `fake Slack: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake Slack: no TCP address");
  const origin = `http://127.0.0.1:${address.port}`;

  const files = new FileStore({
    origin,
    teamId: app.teamId,
    botToken,
    uploads,
    fileDownloads,
    uploadPosts,
  });
  const sockets = new SocketModeServer(`ws://127.0.0.1:${address.port}`, app);
  const webApi = new WebApi({
    botToken,
    appToken,
    botUserId: app.botUserId,
    botId,
    teamId: app.teamId,
    appId,
    clock,
    files,
    issueSocketUrl: () => sockets.issueUrl(),
    calls,
    messages,
    ephemerals,
    reactions,
    assistantStatuses,
  });
  server.on("upgrade", (req, socket, head) => sockets.handleUpgrade(req, socket, head));

  route = async (req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const body = await readBody(req);
    if (path.startsWith("/api/")) return apiCall(req, res, path.slice("/api/".length), body);
    const fileRoute = files.handles(path);
    if (fileRoute === "upload") return files.receiveUpload(req, res, body);
    if (fileRoute === "file") return files.serveFile(req, res);
    if (path.startsWith(RESPONSE_URL_PATH) && req.method === "POST") {
      const text = body.toString("utf8");
      const parsed = contentType(req) === "application/json" ? parseJsonOr(text, text) : text;
      responseUrlPosts.push({ url: `${origin}${path}`, body: parsed, at: Date.now() });
      return sendJson(res, 200, { ok: true });
    }
    sendText(res, 404, "Not Found");
  };

  async function apiCall(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    body: Buffer,
  ): Promise<void> {
    let parsed: Awaited<ReturnType<typeof parseArgs>>;
    try {
      parsed = await parseArgs(req, body);
    } catch {
      return sendJson(res, 200, { ok: false, error: "invalid_json" });
    }
    const answer = webApi.call(method, parsed.args, parsed.token);
    sendJson(res, answer.status, answer.body, answer.headers);
  }

  /** Users' messages that reach the bot become known, so reacting to them works as in Slack. */
  function observeEvent(event: unknown): void {
    if (!isRecord(event)) return;
    webApi.observeUserMessage(event.channel, event.ts);
    clock.observe(event.event_ts);
  }

  let closing: Promise<void> | undefined;
  return {
    apiUrl: `${origin}/api/`,
    botToken,
    appToken,
    signingSecret,
    botUserId: app.botUserId,
    botId,
    teamId: app.teamId,
    appId,
    calls,
    messages,
    ephemerals,
    uploads,
    reactions,
    assistantStatuses,
    responseUrlPosts,
    fileDownloads,
    uploadPosts,
    nextTs: () => clock.next(),
    hostFile: (name, bytes, mimetype, hostOptions) => files.host(name, bytes, mimetype, hostOptions),
    failNext: (method, response) => webApi.failNext(method, response),
    failNextUpload: (response) => files.failNextUpload(response),

    socketConnections: () => sockets.connectionsAccepted(),
    openSockets: () => sockets.openCount(),
    waitForSocket: (count = 1, timeoutMs = WAIT_FOR_SOCKET_MS) => sockets.waitFor(count, timeoutMs),
    async sendEvent(event, sendOptions = {}) {
      const eventId = sendOptions.eventId ?? nextEventId();
      observeEvent(event);
      const attempt = sendOptions.retryAttempt ?? 0;
      const retry = attempt > 0 ? { attempt, reason: sendOptions.retryReason ?? "timeout" } : undefined;
      const result = await sockets.send(
        "events_api",
        eventCallback(app, event, eventId),
        retry,
        sendOptions.connection,
      );
      return { ...result, eventId };
    },
    async sendSlashCommand(command) {
      responseUrls += 1;
      const responseUrl = `${origin}${RESPONSE_URL_PATH}${responseUrls}`;
      return sockets.send("slash_commands", slashCommandFields(app, command, responseUrl));
    },
    disconnect: (reason = "refresh_requested") => sockets.disconnect(reason),
    dropSockets: () => sockets.dropAll(),
    holdConnections: () => sockets.holdConnections(),
    releaseConnections: () => sockets.releaseConnections(),

    eventCallback: (event, callbackOptions = {}) => eventCallback(app, event, callbackOptions.eventId),
    postSignedEvent(url, body, signOptions) {
      if (isRecord(body) && body.type === "event_callback") observeEvent(body.event);
      return postSigned(url, JSON.stringify(body), "application/json", signingSecret, signOptions);
    },
    postSignedCommand(url, fields, signOptions) {
      responseUrls += 1;
      const payload = slashCommandFields(app, fields, `${origin}${RESPONSE_URL_PATH}${responseUrls}`);
      const form = new URLSearchParams(payload).toString();
      return postSigned(url, form, "application/x-www-form-urlencoded", signingSecret, signOptions);
    },

    close() {
      closing ??= sockets.close().then(
        () =>
          new Promise<void>((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()));
            server.closeAllConnections();
          }),
      );
      return closing;
    },
  };
}
