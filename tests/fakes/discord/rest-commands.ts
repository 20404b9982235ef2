/**
 * Application commands, global and per guild: bulk overwrite (PUT), create (POST) and list
 * (GET). A command keeps its id across overwrites while its name and type stay, as Discord's
 * do, and names and descriptions are checked against Discord's rules.
 */
import type { Snowflakes } from "./protocol.ts";
import type { RouteSpec } from "./rest.ts";
import type { RestDeps } from "./rest-routes.ts";
import { type Answer, fail, invalidFormBody, isRecord, ok } from "./wire.ts";
import type { WireCommand } from "./wire-types.ts";

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const MAX_COMMANDS = 100;
const CHAT_INPUT = 1;

type Scope = { kind: "global" } | { kind: "guild"; guildId: string };

export function commandRoutes(deps: RestDeps): RouteSpec[] {
  const { world, recorder, ids } = deps;
  const list = (scope: Scope): WireCommand[] =>
    scope.kind === "global"
      ? recorder.registeredCommands.global
      : (recorder.registeredCommands.guilds[scope.guildId] ?? []);
  const save = (scope: Scope, commands: WireCommand[]) => {
    if (scope.kind === "global") recorder.registeredCommands.global = commands;
    else recorder.registeredCommands.guilds[scope.guildId] = commands;
    recorder.emit("commands-update", recorder.registeredCommands);
  };
  /** The scope a request names, or Discord's answer for a wrong application or guild. */
  const scopeOf = (params: Record<string, string>): Scope | Answer => {
    if (params.application_id !== world.application.id) return fail(403, 50001, "Missing Access");
    if (params.guild_id === undefined) return { kind: "global" };
    return world.guildOf(params.guild_id)
      ? { kind: "guild", guildId: params.guild_id }
      : fail(403, 50001, "Missing Access");
  };
  const get: RouteSpec["handle"] = ({ params }) => {
    const scope = scopeOf(params);
    return "status" in scope ? scope : ok(list(scope));
  };
  const put: RouteSpec["handle"] = ({ params, body }) => {
    const scope = scopeOf(params);
    if ("status" in scope) return scope;
    const raw = body.list;
    if (!raw) return invalidFormBody([], "BASE_TYPE_ARRAY", "Must be an array.");
    if (raw.length > MAX_COMMANDS)
      return invalidFormBody([], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_COMMANDS} or fewer in length.`);
    const commands: WireCommand[] = [];
    for (const [index, entry] of raw.entries()) {
      const built = build(ids, world.application.id, scope, list(scope), entry, index);
      if ("refusal" in built) return built.refusal;
      commands.push(built.command);
    }
    save(scope, commands);
    return ok(commands);
  };
  const post: RouteSpec["handle"] = ({ params, body }) => {
    const scope = scopeOf(params);
    if ("status" in scope) return scope;
    const existing = list(scope);
    const built = build(ids, world.application.id, scope, existing, body.json, undefined);
    if ("refusal" in built) return built.refusal;
    const { command } = built;
    const replaced = existing.some((c) => c.id === command.id);
    save(scope, replaced ? existing.map((c) => (c.id === command.id ? command : c)) : [...existing, command]);
    return ok(command, replaced ? 200 : 201);
  };
  return [
    { name: "GET /applications/{application_id}/commands", auth: "bot", handle: get },
    { name: "PUT /applications/{application_id}/commands", auth: "bot", handle: put },
    { name: "POST /applications/{application_id}/commands", auth: "bot", handle: post },
    { name: "GET /applications/{application_id}/guilds/{guild_id}/commands", auth: "bot", handle: get },
    { name: "PUT /applications/{application_id}/guilds/{guild_id}/commands", auth: "bot", handle: put },
    { name: "POST /applications/{application_id}/guilds/{guild_id}/commands", auth: "bot", handle: post },
  ];
}

function build(
  ids: Snowflakes,
  applicationId: string,
  scope: Scope,
  existing: WireCommand[],
  entry: unknown,
  index: number | undefined,
): { command: WireCommand } | { refusal: Answer } {
  const at = (...path: Array<string | number>) => (index === undefined ? path : [index, ...path]);
  if (!isRecord(entry)) {
    return {
      refusal: invalidFormBody(at(), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"),
    };
  }
  const type = typeof entry.type === "number" ? entry.type : CHAT_INPUT;
  const options = Array.isArray(entry.options) ? entry.options : undefined;
  const problem =
    checkNaming(entry, type, at) ?? (options ? checkOptions(options, at("options")) : undefined);
  if (problem) return { refusal: problem };
  const previous = existing.find((c) => c.name === entry.name && c.type === type);
  const fields: WireCommand = {
    default_member_permissions: null,
    nsfw: false,
    integration_types: [0],
    contexts: null,
    ...entry,
    id: previous?.id ?? ids.next(),
    application_id: applicationId,
    version: "",
    type,
    name: String(entry.name),
    description: typeof entry.description === "string" ? entry.description : "",
    ...(scope.kind === "guild" ? { guild_id: scope.guildId } : {}),
  };
  // Discord bumps `version` only when the command changed.
  fields.version = previous && sameDefinition(previous, fields) ? previous.version : ids.next();
  return { command: fields };
}

function checkNaming(
  entry: Record<string, unknown>,
  type: number,
  at: (...path: Array<string | number>) => Array<string | number>,
): Answer | undefined {
  const { name, description } = entry;
  if (typeof name !== "string" || name.length === 0)
    return invalidFormBody(at("name"), "BASE_TYPE_REQUIRED", "This field is required");
  if (type === CHAT_INPUT && (!NAME.test(name) || name !== name.toLowerCase())) {
    return invalidFormBody(at("name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
  }
  if (
    type === CHAT_INPUT &&
    (typeof description !== "string" || description.length < 1 || description.length > 100)
  ) {
    return invalidFormBody(at("description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
  }
  return undefined;
}

/** Option names follow command naming; required options come before optional ones. */
function checkOptions(options: unknown[], path: Array<string | number>): Answer | undefined {
  let optionalSeen = false;
  for (const [index, option] of options.entries()) {
    if (!isRecord(option))
      return invalidFormBody(
        [...path, index],
        "DICT_TYPE_CONVERT",
        "Only dictionaries may be used in a DictType",
      );
    const { name, description, required } = option;
    if (typeof name !== "string" || !NAME.test(name) || name !== name.toLowerCase()) {
      return invalidFormBody(
        [...path, index, "name"],
        "APPLICATION_COMMAND_INVALID_NAME",
        "Command name is invalid",
      );
    }
    if (typeof description !== "string" || description.length < 1 || description.length > 100) {
      return invalidFormBody(
        [...path, index, "description"],
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 100 in length.",
      );
    }
    if (required === true && optionalSeen) {
      return invalidFormBody(
        [...path, index, "required"],
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        "Required options must be placed before non-required options",
      );
    }
    if (required !== true) optionalSeen = true;
    const nested = option.options;
    if (Array.isArray(nested)) {
      const problem = checkOptions(nested, [...path, index, "options"]);
      if (problem) return problem;
    }
  }
  return undefined;
}

function sameDefinition(a: WireCommand, b: WireCommand): boolean {
  const strip = ({ id: _i, version: _v, ...rest }: WireCommand) => JSON.stringify(rest);
  return strip(a) === strip(b);
}
