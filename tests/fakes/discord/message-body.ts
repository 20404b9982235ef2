/**
 * Turns a create or edit request into a message's parts as Discord does: which files become
 * attachments (`files[n]` matched to `attachments[].id`, earlier ones kept by id on edit), who
 * is mentioned under `allowed_mentions`, and which message a `message_reference` replies to.
 */
import type { Cdn } from "./cdn.ts";
import { checkFields, checkFiles } from "./limits.ts";
import type { ParsedBody } from "./multipart.ts";
import { memberObject, userObject } from "./payloads.ts";
import type { FakeChannel, FakeFile } from "./types.ts";
import { type Answer, invalidFormBody, isRecord, str } from "./wire.ts";
import type { WireAttachment, WireMember, WireMessage, WireUser } from "./wire-types.ts";
import type { World } from "./world.ts";

export interface ComposeContext {
  world: World;
  cdn: Cdn;
  maxUploadBytes: number;
  findMessage(channelId: string, messageId: string): WireMessage | undefined;
}

export interface Composed {
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  tts: boolean;
  nonce: string | number | undefined;
  allowed_mentions: unknown;
  message_reference: unknown;
  attachments: WireAttachment[];
  files: FakeFile[];
  /** The message replied to, when `message_reference` names one. */
  referenced: WireMessage | undefined;
  stickers: boolean;
  poll: boolean;
}

export interface Previous {
  wire: WireMessage;
  files: FakeFile[];
  allowed_mentions: unknown;
}

export function compose(
  ctx: ComposeContext,
  channel: FakeChannel,
  body: ParsedBody,
  previous?: Previous,
): Composed | Answer {
  const { json } = body;
  const refused = checkFields(json) ?? checkFiles(body.files, ctx.maxUploadBytes);
  if (refused) return refused;
  const reference = previous ? undefined : resolveReference(ctx, channel, json.message_reference);
  if (reference && "status" in reference) return reference;
  const { attachments, files } = attachmentsOf(ctx, channel, body, previous);
  return {
    content: typeof json.content === "string" ? json.content : (previous?.wire.content ?? ""),
    embeds: Array.isArray(json.embeds) ? json.embeds : (previous?.wire.embeds ?? []),
    components: Array.isArray(json.components) ? json.components : (previous?.wire.components ?? []),
    flags: typeof json.flags === "number" ? json.flags : (previous?.wire.flags ?? 0),
    tts: json.tts === true,
    nonce: typeof json.nonce === "string" || typeof json.nonce === "number" ? json.nonce : undefined,
    allowed_mentions: "allowed_mentions" in json ? json.allowed_mentions : previous?.allowed_mentions,
    message_reference: json.message_reference,
    attachments,
    files,
    referenced: reference?.message,
    stickers: Array.isArray(json.sticker_ids) && json.sticker_ids.length > 0,
    poll: isRecord(json.poll),
  };
}

/**
 * New files take the `filename` and `description` of the `attachments` entry whose `id` is
 * their `n`; on edit, earlier attachments stay only if listed by id (all stay when the field is
 * left out), as Discord documents for editing attachments.
 */
function attachmentsOf(
  ctx: ComposeContext,
  channel: FakeChannel,
  body: ParsedBody,
  previous: Previous | undefined,
): { attachments: WireAttachment[]; files: FakeFile[] } {
  const listed = Array.isArray(body.json.attachments) ? body.json.attachments.filter(isRecord) : undefined;
  const keptIds = new Set(listed?.map((entry) => String(entry.id)));
  const attachments: WireAttachment[] = [];
  const files: FakeFile[] = [];
  for (const [index, attachment] of (previous?.wire.attachments ?? []).entries()) {
    if (listed && !keptIds.has(attachment.id)) continue;
    attachments.push(attachment);
    const file = previous?.files[index];
    if (file) files.push(file);
  }
  for (const upload of body.files) {
    const entry = listed?.find((candidate) => String(candidate.id) === upload.index);
    const stored = ctx.cdn.storeUpload(channel.id, {
      filename: str(entry?.filename) ?? upload.filename,
      data: upload.data,
      contentType: upload.contentType,
      description: str(entry?.description),
    });
    attachments.push(stored.attachment);
    files.push(stored.file);
  }
  return { attachments, files };
}

function resolveReference(
  ctx: ComposeContext,
  channel: FakeChannel,
  raw: unknown,
): { message: WireMessage | undefined } | Answer | undefined {
  if (!isRecord(raw)) return undefined;
  const messageId = str(raw.message_id);
  if (!messageId) return undefined;
  const channelId = str(raw.channel_id) ?? channel.id;
  const message = ctx.findMessage(channelId, messageId);
  if (message) return { message };
  if (raw.fail_if_not_exists === false) return { message: undefined };
  return invalidFormBody(["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message");
}

export interface Mentions {
  mentions: Array<WireUser & { member?: WireMember }>;
  mention_everyone: boolean;
}

/**
 * Who a message pings: users written as `<@id>`, filtered by `allowed_mentions` (all of them
 * when it is absent), plus the replied-to author when `replied_user` allows it.
 */
export function mentionsOf(
  world: World,
  channel: FakeChannel,
  content: string,
  allowed: unknown,
  referenced?: WireMessage,
): Mentions {
  const rules = isRecord(allowed) ? allowed : undefined;
  const parse = Array.isArray(rules?.parse) ? rules.parse : undefined;
  const listedUsers = Array.isArray(rules?.users) ? rules.users.map(String) : undefined;
  const ids = new Set<string>();
  for (const match of content.matchAll(/<@!?(\d+)>/g)) {
    const id = match[1] ?? "";
    if (!rules || parse?.includes("users") || listedUsers?.includes(id)) ids.add(id);
  }
  const repliedUser = rules ? rules.replied_user === true : true;
  if (referenced && repliedUser) ids.add(referenced.author.id);
  const mentions: Array<WireUser & { member?: WireMember }> = [];
  for (const id of ids) {
    const user = world.users.get(id);
    if (!user) continue;
    mentions.push({
      ...userObject(user),
      ...(channel.guild_id
        ? { member: memberObject(world, user, { withUser: false, guildId: channel.guild_id }) }
        : {}),
    });
  }
  const everyoneAllowed = !rules || parse?.includes("everyone") === true;
  return { mentions, mention_everyone: everyoneAllowed && /@(everyone|here)\b/.test(content) };
}
