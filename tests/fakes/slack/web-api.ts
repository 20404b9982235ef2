/**
 * The Web API methods a chat bot uses, with Slack's answers: `{ ok: true, ... }` on HTTP 200,
 * `{ ok: false, error }` (also on 200) for bad input or a wrong token, and 429 with
 * `Retry-After` when a test scripts a rate limit.
 */
import type { FileStore } from "./files.ts";
import { type ApiFailure, checkMessageContent, failure, missingArgument } from "./limits.ts";
import type { TsClock } from "./payloads.ts";
import type {
  AssistantStatus,
  FakeEphemeral,
  FakeMessage,
  FakeReaction,
  RecordedCall,
  ScriptedFailure,
} from "./types.ts";

export interface WebApiContext {
  botToken: string;
  appToken: string;
  botUserId: string;
  botId: string;
  teamId: string;
  appId: string;
  clock: TsClock;
  files: FileStore;
  issueSocketUrl(): string;
  calls: RecordedCall[];
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  reactions: FakeReaction[];
  assistantStatuses: AssistantStatus[];
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

type Result = Record<string, unknown> | ApiFailure;
type Args = Record<string, unknown>;

interface Method {
  token: "bot" | "app";
  run(args: Args): Result;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const EMOJI_NAME = /^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/;

export class WebApi {
  private readonly failures = new Map<string, ScriptedFailure[]>();
  /** Messages by `channel ts`: the bot's own, plus users' messages seen in events. */
  private readonly byKey = new Map<string, FakeMessage | "user">();
  private readonly methods: Record<string, Method>;

  constructor(private readonly ctx: WebApiContext) {
    this.methods = {
      "auth.test": { token: "bot", run: () => this.authTest() },
      "apps.connections.open": { token: "app", run: () => ({ ok: true, url: ctx.issueSocketUrl() }) },
      "chat.postMessage": { token: "bot", run: (args) => this.postMessage(args) },
      "chat.update": { token: "bot", run: (args) => this.update(args) },
      "chat.postEphemeral": { token: "bot", run: (args) => this.postEphemeral(args) },
      "reactions.add": { token: "bot", run: (args) => this.react(args, true) },
      "reactions.remove": { token: "bot", run: (args) => this.react(args, false) },
      "files.getUploadURLExternal": { token: "bot", run: (args) => ctx.files.getUploadUrl(args) },
      "files.completeUploadExternal": { token: "bot", run: (args) => ctx.files.completeUpload(args) },
      "conversations.info": { token: "bot", run: (args) => this.conversationInfo(args) },
      "users.info": { token: "bot", run: (args) => this.userInfo(args) },
      "assistant.threads.setStatus": { token: "bot", run: (args) => this.setStatus(args) },
    };
  }

  failNext(method: string, response: ScriptedFailure): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(response);
    this.failures.set(method, queue);
  }

  /** Lets `reactions.add` and `chat.update` tell a user's message from one that never existed. */
  observeUserMessage(channel: unknown, ts: unknown): void {
    if (typeof channel !== "string" || typeof ts !== "string") return;
    this.ctx.clock.observe(ts);
    if (!this.byKey.has(key(channel, ts))) this.byKey.set(key(channel, ts), "user");
  }

  call(method: string, args: Args, token: string | undefined): ApiAnswer {
    const answer = this.answer(method, args, token);
    const ok = answer.body.ok === true;
    const error = typeof answer.body.error === "string" ? answer.body.error : undefined;
    this.ctx.calls.push({ method, args, token, at: Date.now(), status: answer.status, ok, error });
    return answer;
  }

  private answer(method: string, args: Args, token: string | undefined): ApiAnswer {
    const scripted = this.failures.get(method)?.shift();
    if (scripted && "status" in scripted) {
      return {
        status: 429,
        body: { ok: false, error: "ratelimited" },
        headers: { "retry-after": String(scripted.retryAfterSeconds) },
      };
    }
    if (scripted) return { status: 200, body: failure(scripted.error), headers: {} };
    const spec = this.methods[method];
    // Slack answers an unknown method with HTTP 404, which the WebClient retries for about
    // half an hour; a 200 makes a test that calls an unimplemented method fail at once.
    if (!spec)
      return { status: 200, body: { ok: false, error: "unknown_method", req_method: method }, headers: {} };
    const refused = this.checkToken(spec.token, token);
    return { status: 200, body: refused ?? spec.run(args), headers: {} };
  }

  private checkToken(wanted: "bot" | "app", token: string | undefined): ApiFailure | undefined {
    if (token === undefined || token === "") return failure("not_authed");
    const [right, other] =
      wanted === "bot" ? [this.ctx.botToken, this.ctx.appToken] : [this.ctx.appToken, this.ctx.botToken];
    if (token === right) return undefined;
    return failure(token === other ? "not_allowed_token_type" : "invalid_auth");
  }

  private authTest(): Result {
    return {
      ok: true,
      url: "https://fake-workspace.slack.com/",
      team: "Fake Workspace",
      user: "fakebot",
      team_id: this.ctx.teamId,
      user_id: this.ctx.botUserId,
      bot_id: this.ctx.botId,
      is_enterprise_install: false,
    };
  }

  private postMessage(args: Args): Result {
    const named = str(args.channel);
    if (!named) return missingArgument("channel");
    // A user ID posts to the bot's DM with that user; the fake names it D + the rest of the ID.
    const channel = USER_ID.test(named) ? `D${named.slice(1)}` : named;
    if (!CHANNEL_ID.test(channel)) return failure("channel_not_found");
    const refused = checkMessageContent(args);
    if (refused) return refused;
    const ts = this.ctx.clock.next();
    const text = str(args.text) ?? "";
    const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
    const message: FakeMessage = {
      channel,
      ts,
      thread_ts: str(args.thread_ts),
      text,
      blocks,
      user: this.ctx.botUserId,
      bot_id: this.ctx.botId,
      versions: [{ text, blocks, at: Date.now() }],
    };
    this.ctx.messages.push(message);
    this.byKey.set(key(channel, ts), message);
    return { ok: true, channel, ts, message: this.wireMessage(message) };
  }

  private update(args: Args): Result {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (!channel) return missingArgument("channel");
    if (!ts) return missingArgument("ts");
    const message = this.byKey.get(key(channel, ts));
    if (message === undefined) return failure("message_not_found");
    if (message === "user") return failure("cant_update_message");
    const refused = checkMessageContent(args);
    if (refused) return refused;
    // Slack keeps the previous blocks when `blocks` is left out, and drops them for `[]`.
    if (typeof args.text === "string") message.text = args.text;
    if (Array.isArray(args.blocks)) message.blocks = args.blocks.length > 0 ? args.blocks : undefined;
    message.versions.push({ text: message.text, blocks: message.blocks, at: Date.now() });
    return { ok: true, channel, ts, text: message.text, message: this.wireMessage(message) };
  }

  private postEphemeral(args: Args): Result {
    const channel = str(args.channel);
    const user = str(args.user);
    if (!channel) return missingArgument("channel");
    if (!user) return missingArgument("user");
    if (!CHANNEL_ID.test(channel)) return failure("channel_not_found");
    if (!USER_ID.test(user)) return failure("user_not_found");
    const refused = checkMessageContent(args);
    if (refused) return refused;
    const messageTs = this.ctx.clock.next();
    this.ctx.ephemerals.push({
      channel,
      user,
      text: str(args.text) ?? "",
      blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
      thread_ts: str(args.thread_ts),
      message_ts: messageTs,
    });
    return { ok: true, message_ts: messageTs };
  }

  private react(args: Args, add: boolean): Result {
    const channel = str(args.channel);
    const timestamp = str(args.timestamp);
    const name = str(args.name);
    if (!channel) return missingArgument("channel");
    if (!timestamp) return missingArgument("timestamp");
    if (!name) return missingArgument("name");
    if (!EMOJI_NAME.test(name)) return failure("invalid_name");
    if (!this.byKey.has(key(channel, timestamp))) return failure("message_not_found");
    const active = this.ctx.reactions.find(
      (r) => r.channel === channel && r.timestamp === timestamp && r.name === name && !r.removed,
    );
    if (add) {
      if (active) return failure("already_reacted");
      this.ctx.reactions.push({ channel, timestamp, name, removed: false });
    } else {
      if (!active) return failure("no_reaction");
      active.removed = true;
    }
    return { ok: true };
  }

  private conversationInfo(args: Args): Result {
    const channel = str(args.channel);
    if (!channel) return missingArgument("channel");
    if (!CHANNEL_ID.test(channel)) return failure("channel_not_found");
    const im = channel.startsWith("D");
    return {
      ok: true,
      channel: {
        id: channel,
        name: im ? undefined : channel.toLowerCase(),
        is_channel: channel.startsWith("C"),
        is_group: channel.startsWith("G"),
        is_im: im,
        is_private: !channel.startsWith("C"),
        is_member: true,
        is_archived: false,
        created: 1_700_000_000,
        context_team_id: this.ctx.teamId,
      },
    };
  }

  private userInfo(args: Args): Result {
    const user = str(args.user);
    if (!user) return missingArgument("user");
    if (!USER_ID.test(user)) return failure("user_not_found");
    const bot = user === this.ctx.botUserId;
    const realName = bot ? "Fake Bot" : `Fake ${user}`;
    return {
      ok: true,
      user: {
        id: user,
        team_id: this.ctx.teamId,
        name: bot ? "fakebot" : user.toLowerCase(),
        real_name: realName,
        deleted: false,
        is_bot: bot,
        is_admin: false,
        tz: "Europe/London",
        profile: { real_name: realName, display_name: realName, ...(bot ? { bot_id: this.ctx.botId } : {}) },
      },
    };
  }

  private setStatus(args: Args): Result {
    const channelId = str(args.channel_id);
    const threadTs = str(args.thread_ts);
    if (!channelId) return missingArgument("channel_id");
    if (!threadTs) return missingArgument("thread_ts");
    // An empty status clears it, so it is present but may be "".
    if (typeof args.status !== "string") return missingArgument("status");
    this.ctx.assistantStatuses.push({
      channel_id: channelId,
      thread_ts: threadTs,
      status: args.status,
      at: Date.now(),
    });
    return { ok: true };
  }

  private wireMessage(message: FakeMessage): Record<string, unknown> {
    return {
      type: "message",
      text: message.text,
      user: message.user,
      bot_id: message.bot_id,
      app_id: this.ctx.appId,
      team: this.ctx.teamId,
      ts: message.ts,
      ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
      ...(message.blocks ? { blocks: message.blocks } : {}),
    };
  }
}

function key(channel: string, ts: string): string {
  return `${channel} ${ts}`;
}

/** Form values are strings; JSON bodies may carry numbers where Slack takes strings. */
function str(value: unknown): string | undefined {
  if (typeof value === "number") return String(value);
  return typeof value === "string" && value !== "" ? value : undefined;
}
