/**
 * The interaction routes, which take no `Authorization` (the token in the path is the
 * credential): the callback, with `?with_response=` as discord.js always sends it, and the
 * interaction webhook for follow-ups and for `@original` and follow-up messages.
 */

import type { RouteSpec } from "./rest.ts";
import type { RestDeps } from "./rest-routes.ts";

/** Discord's boolean query strings: `true`, `True` or `1`. */
function queryFlag(value: string | null): boolean {
  return value === "true" || value === "True" || value === "1";
}

export function interactionRoutes(deps: RestDeps): RouteSpec[] {
  const { interactions } = deps;
  return [
    {
      name: "POST /interactions/{interaction_id}/{interaction_token}/callback",
      auth: "none",
      handle: ({ params, body, query }) =>
        interactions.callback(
          params.interaction_id ?? "",
          params.interaction_token ?? "",
          body,
          queryFlag(query.get("with_response")),
        ),
    },
    {
      name: "POST /webhooks/{application_id}/{interaction_token}",
      auth: "none",
      handle: ({ params, body }) =>
        interactions.followUp(params.application_id ?? "", params.interaction_token ?? "", body),
    },
    {
      name: "GET /webhooks/{application_id}/{interaction_token}/messages/{message_id}",
      auth: "none",
      handle: ({ params }) =>
        interactions.getMessage(
          params.application_id ?? "",
          params.interaction_token ?? "",
          params.message_id ?? "",
        ),
    },
    {
      name: "PATCH /webhooks/{application_id}/{interaction_token}/messages/{message_id}",
      auth: "none",
      handle: ({ params, body }) =>
        interactions.editMessage(
          params.application_id ?? "",
          params.interaction_token ?? "",
          params.message_id ?? "",
          body,
        ),
    },
    {
      name: "DELETE /webhooks/{application_id}/{interaction_token}/messages/{message_id}",
      auth: "none",
      handle: ({ params }) =>
        interactions.deleteMessage(
          params.application_id ?? "",
          params.interaction_token ?? "",
          params.message_id ?? "",
        ),
    },
  ];
}
