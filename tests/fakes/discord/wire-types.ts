/**
 * The JSON shapes Discord (API v10) puts on the wire, as far as the fake produces them. Field
 * names and optionality follow Discord's documentation (and `discord-api-types`, which the
 * fake's own tests type-check these against), so a payload built here reads like a recording.
 */

export interface WireUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  public_flags: number;
  flags: number;
  banner: string | null;
  accent_color: number | null;
  avatar_decoration_data: null;
  primary_guild: null;
  collectibles: null;
}

/** A guild member; `user` is left out where Discord leaves it out (MESSAGE_CREATE's `member`). */
export interface WireMember {
  user?: WireUser;
  nick: string | null;
  avatar: string | null;
  banner: string | null;
  roles: string[];
  joined_at: string;
  premium_since: string | null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
  communication_disabled_until: string | null;
  /** Only in interactions: the member's permissions in the channel. */
  permissions?: string;
}

export interface WireRole {
  id: string;
  name: string;
  color: number;
  colors: { primary_color: number; secondary_color: number | null; tertiary_color: number | null };
  hoist: boolean;
  icon: string | null;
  unicode_emoji: string | null;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  tags?: { bot_id: string };
}

export interface WireThreadMetadata {
  archived: boolean;
  auto_archive_duration: number;
  archive_timestamp: string;
  locked: boolean;
  invitable?: boolean;
  create_timestamp: string;
}

export interface WireThreadMember {
  id: string;
  user_id: string;
  join_timestamp: string;
  flags: number;
}

/** Text channels (type 0), DMs (1) and threads (11, 12) share this shape, each with its own fields. */
export interface WireChannel {
  id: string;
  type: number;
  flags: number;
  last_message_id: string | null;
  guild_id?: string;
  name?: string | null;
  position?: number;
  permission_overwrites?: unknown[];
  parent_id?: string | null;
  topic?: string | null;
  nsfw?: boolean;
  rate_limit_per_user?: number;
  default_auto_archive_duration?: number;
  recipients?: WireUser[];
  owner_id?: string;
  thread_metadata?: WireThreadMetadata;
  message_count?: number;
  member_count?: number;
  total_message_sent?: number;
  member?: WireThreadMember;
  newly_created?: true;
}

export interface WireAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
  description?: string;
  title?: string;
  ephemeral?: boolean;
}

export interface WireAllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

export interface WireMessageReference {
  type: number;
  message_id: string;
  channel_id: string;
  guild_id?: string;
}

export interface WireInteractionMetadata {
  id: string;
  type: number;
  user: WireUser;
  authorizing_integration_owners: Record<string, string>;
  name?: string;
  command_type?: number;
}

export interface WireMessage {
  id: string;
  type: number;
  channel_id: string;
  author: WireUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: Array<WireUser & { member?: WireMember }>;
  mention_roles: string[];
  attachments: WireAttachment[];
  embeds: unknown[];
  components: unknown[];
  pinned: boolean;
  flags: number;
  /** MESSAGE_CREATE's extra fields for guild messages, and `channel_type` for every message. */
  guild_id?: string;
  member?: WireMember;
  channel_type?: number;
  nonce?: string | number;
  webhook_id?: string;
  application_id?: string;
  message_reference?: WireMessageReference;
  referenced_message?: WireMessage | null;
  interaction_metadata?: WireInteractionMetadata;
  position?: number;
  thread?: WireChannel;
}

export interface WireCommandOption {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  options?: WireCommandOption[];
  [field: string]: unknown;
}

/** An application command as Discord returns it after registration. */
export interface WireCommand {
  id: string;
  application_id: string;
  version: string;
  type: number;
  name: string;
  description: string;
  options?: WireCommandOption[];
  default_member_permissions: string | null;
  nsfw: boolean;
  integration_types: number[];
  contexts: number[] | null;
  guild_id?: string;
  [field: string]: unknown;
}

export interface WireApplication {
  id: string;
  name: string;
  icon: string | null;
  description: string;
  /** Deprecated by Discord; always empty. */
  summary: "";
  type: null;
  bot_public: boolean;
  bot_require_code_grant: boolean;
  verify_key: string;
  flags: number;
  /** The flags again, as a string that can hold bits beyond 2^53. */
  flags_new: string;
  owner: WireUser;
  team: null;
  bot: WireUser;
  integration_types_config: Record<string, unknown>;
  approximate_guild_count: number;
  redirect_uris: string[];
  interactions_endpoint_url: string | null;
  role_connections_verification_url: string | null;
}

export interface WireInteractionOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  options?: WireInteractionOption[];
}

export interface WireResolved {
  attachments?: Record<string, WireAttachment>;
  users?: Record<string, WireUser>;
  members?: Record<string, WireMember>;
}

export interface WireInteraction {
  id: string;
  application_id: string;
  type: number;
  token: string;
  version: 1;
  data: Record<string, unknown>;
  guild_id?: string;
  guild?: { id: string; locale: string; features: string[] };
  channel: WireChannel & { permissions?: string };
  channel_id: string;
  member?: WireMember & { user: WireUser; permissions: string };
  user?: WireUser;
  message?: WireMessage;
  app_permissions: string;
  locale: string;
  guild_locale?: string;
  /** The fake sells nothing. */
  entitlements: never[];
  authorizing_integration_owners: Record<string, string>;
  context: number;
  attachment_size_limit: number;
}

/** A gateway frame: `op` with its data, and `s`/`t` set on dispatches (op 0) only. */
export interface GatewayPayload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}
