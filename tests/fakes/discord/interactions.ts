/**
 * Interactions after they are dispatched: the one callback each takes, within the deadline
 * (Discord: 3 s, then the interaction is unknown), and the webhook that then lives on its token
 * for follow-ups and for reading, editing and deleting `@original` and follow-ups. As Discord
 * documents, the first follow-up after a deferred response edits the loading message instead
 * of posting a new one.
 */
import {
  commandData,
  type InteractionBase,
  interactionPayload,
  modalSubmitData,
} from "./interaction-payloads.ts";
import { type InteractionRef, type MessageStore, restView } from "./messages.ts";
import type { ParsedBody } from "./multipart.ts";
import {
  CallbackType,
  ErrorCode,
  InteractionType,
  MessageFlag,
  randomHex,
  type Snowflakes,
} from "./protocol.ts";
import type { Recorder } from "./recorder.ts";
import type { CommandInput, FakeChannel, FakeInteraction, FakeUser, ModalSubmitInput } from "./types.ts";
import { type Answer, fail, invalidFormBody, isRecord, noContent, ok, unknownMessage } from "./wire.ts";
import type { World } from "./world.ts";

/** How long an interaction's token (its webhook) lives. */
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export interface InteractionStoreContext {
  world: World;
  ids: Snowflakes;
  recorder: Recorder;
  messages: MessageStore;
  deadlineMs: number;
  maxUploadBytes: number;
  dispatch(t: string, d: unknown): void;
}

interface State {
  record: FakeInteraction;
  channel: FakeChannel;
  ref: InteractionRef;
  /** The original response is a deferred "thinking…" message nothing has edited yet. */
  loading: boolean;
  messageIds: Set<string>;
}

const ALLOWED_CALLBACKS: Record<number, number[]> = {
  [InteractionType.ApplicationCommand]: [
    CallbackType.ChannelMessageWithSource,
    CallbackType.DeferredChannelMessageWithSource,
    CallbackType.Modal,
  ],
  [InteractionType.ModalSubmit]: [
    CallbackType.ChannelMessageWithSource,
    CallbackType.DeferredChannelMessageWithSource,
  ],
};

export class InteractionStore {
  private readonly byId = new Map<string, State>();
  private readonly byToken = new Map<string, State>();

  constructor(private readonly ctx: InteractionStoreContext) {}

  command(input: CommandInput): FakeInteraction {
    const { world, recorder } = this.ctx;
    const base = this.base(input.channel, input.user, input.locale);
    const data = commandData(world, recorder.registeredCommands, base.channel, input);
    return this.create(base, InteractionType.ApplicationCommand, data, input.name);
  }

  modalSubmit(input: ModalSubmitInput): FakeInteraction {
    const shown = [...this.ctx.recorder.interactionResponses]
      .reverse()
      .find((r) => r.type === CallbackType.Modal && r.status < 300 && r.data?.custom_id === input.customId);
    if (!shown?.data) {
      throw new Error(`fake Discord: the bot never showed a modal "${input.customId}" (callback type 9)`);
    }
    const base = this.base(input.channel, input.user, undefined);
    const data = modalSubmitData(shown.data, input.fields);
    return this.create(base, InteractionType.ModalSubmit, data, undefined);
  }

  callback(id: string, token: string, body: ParsedBody, withResponse: boolean): Answer {
    const state = this.byId.get(id);
    const type = typeof body.json.type === "number" ? body.json.type : undefined;
    const data = isRecord(body.json.data) ? body.json.data : undefined;
    const answer = this.answerCallback(state, token, type, data, body, withResponse);
    const response = {
      interaction_id: id,
      type: type ?? -1,
      data,
      files: body.files.map((f) => ({ name: f.filename, data: f.data })),
      with_response: withResponse,
      status: answer.status,
      at: Date.now(),
    };
    this.ctx.recorder.interactionResponses.push(response);
    this.ctx.recorder.emit("interaction-respond", response);
    return answer;
  }

  followUp(applicationId: string, token: string, body: ParsedBody): Answer {
    const state = this.webhook(applicationId, token);
    if ("status" in state) return state;
    const original = state.record.original_message_id;
    if (state.loading && original) {
      state.loading = false;
      return this.ctx.messages.edit(state.channel, original, body);
    }
    const answer = this.ctx.messages.createBotMessage(state.channel, body, {
      via: "follow-up",
      interaction: state.ref,
    });
    if (answer.status === 200 && isRecord(answer.body) && typeof answer.body.id === "string") {
      state.messageIds.add(answer.body.id);
    }
    return answer;
  }

  getMessage(applicationId: string, token: string, messageId: string): Answer {
    const found = this.message(applicationId, token, messageId);
    if ("status" in found) return found;
    const stored = this.ctx.messages.find(found.state.channel.id, found.id);
    return stored ? ok(restView(stored.wire)) : unknownMessage();
  }

  editMessage(applicationId: string, token: string, messageId: string, body: ParsedBody): Answer {
    const found = this.message(applicationId, token, messageId);
    if ("status" in found) return found;
    if (found.id === found.state.record.original_message_id) found.state.loading = false;
    return this.ctx.messages.edit(found.state.channel, found.id, body);
  }

  deleteMessage(applicationId: string, token: string, messageId: string): Answer {
    const found = this.message(applicationId, token, messageId);
    if ("status" in found) return found;
    return this.ctx.messages.remove(found.state.channel, found.id);
  }

  private base(
    channel: FakeChannel | string | undefined,
    user: FakeUser | undefined,
    locale: string | undefined,
  ) {
    const { world, ids, maxUploadBytes } = this.ctx;
    const base: InteractionBase = {
      id: ids.next(),
      token: `aW50ZXJhY3Rpb246${randomHex(32)}`,
      channel: world.resolveChannel(channel),
      user: user ?? world.user,
      locale: locale ?? "en-US",
      attachmentSizeLimit: maxUploadBytes,
    };
    return base;
  }

  private create(
    base: InteractionBase,
    type: number,
    data: Record<string, unknown>,
    name: string | undefined,
  ) {
    const payload = interactionPayload(this.ctx.world, base, type, data);
    const record: FakeInteraction = {
      id: base.id,
      token: base.token,
      type,
      name,
      custom_id: typeof data.custom_id === "string" ? data.custom_id : undefined,
      channel_id: base.channel.id,
      user_id: base.user.id,
      payload,
      created_at: Date.now(),
      callback_type: undefined,
      original_message_id: undefined,
    };
    const state: State = {
      record,
      channel: base.channel,
      ref: { id: base.id, type, name, user: base.user },
      loading: false,
      messageIds: new Set(),
    };
    this.byId.set(record.id, state);
    this.byToken.set(record.token, state);
    this.ctx.recorder.interactions.push(record);
    this.ctx.dispatch("INTERACTION_CREATE", payload);
    return record;
  }

  private answerCallback(
    state: State | undefined,
    token: string,
    type: number | undefined,
    data: Record<string, unknown> | undefined,
    body: ParsedBody,
    withResponse: boolean,
  ): Answer {
    const unknown = fail(404, ErrorCode.UnknownInteraction, "Unknown interaction");
    if (!state || state.record.token !== token) return unknown;
    const { record } = state;
    if (record.callback_type !== undefined) {
      return fail(
        400,
        ErrorCode.InteractionAlreadyAcknowledged,
        "Interaction has already been acknowledged.",
      );
    }
    if (Date.now() - record.created_at >= this.ctx.deadlineMs) return unknown;
    const allowed = ALLOWED_CALLBACKS[record.type] ?? [];
    if (type === undefined || !allowed.includes(type)) {
      return invalidFormBody(["type"], "BASE_TYPE_CHOICES", `Value must be one of {${allowed.join(", ")}}.`);
    }
    const ephemeral = ((typeof data?.flags === "number" ? data.flags : 0) & MessageFlag.Ephemeral) !== 0;
    let message: unknown;
    if (type === CallbackType.ChannelMessageWithSource) {
      const created = this.ctx.messages.createBotMessage(
        state.channel,
        { json: data ?? {}, files: body.files, encoding: body.encoding },
        { via: "interaction-response", interaction: state.ref },
      );
      if (created.status !== 200 || !isRecord(created.body)) return created;
      message = created.body;
      record.original_message_id = String(created.body.id);
    } else if (type === CallbackType.DeferredChannelMessageWithSource) {
      record.original_message_id = this.ctx.messages.createLoading(
        state.channel,
        state.ref,
        ephemeral,
      ).wire.id;
      state.loading = true;
    } else if (type === CallbackType.Modal) {
      for (const field of ["custom_id", "title", "components"]) {
        if (data?.[field] === undefined) {
          return invalidFormBody(["data", field], "BASE_TYPE_REQUIRED", "This field is required");
        }
      }
    }
    record.callback_type = type;
    if (record.original_message_id) state.messageIds.add(record.original_message_id);
    if (!withResponse) return noContent();
    return ok({
      interaction: {
        id: record.id,
        type: record.type,
        ...(record.original_message_id
          ? {
              response_message_id: record.original_message_id,
              response_message_loading: type === CallbackType.DeferredChannelMessageWithSource,
              response_message_ephemeral: ephemeral,
            }
          : {}),
      },
      resource: { type, ...(message ? { message } : {}) },
    });
  }

  /** The interaction's webhook exists once it was answered in time, for 15 minutes. */
  private webhook(applicationId: string, token: string): State | Answer {
    const state = this.byToken.get(token);
    const alive =
      state !== undefined &&
      applicationId === this.ctx.world.application.id &&
      state.record.callback_type !== undefined &&
      Date.now() - state.record.created_at < TOKEN_LIFETIME_MS;
    return alive ? state : fail(404, ErrorCode.UnknownWebhook, "Unknown Webhook");
  }

  private message(
    applicationId: string,
    token: string,
    messageId: string,
  ): { state: State; id: string } | Answer {
    const state = this.webhook(applicationId, token);
    if ("status" in state) return state;
    const id = messageId === "@original" ? state.record.original_message_id : messageId;
    if (!id || !state.messageIds.has(id)) return unknownMessage();
    return { state, id };
  }
}
