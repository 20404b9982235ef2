/**
 * The API server's error answers: a metav1.Status object with the HTTP code, its reason and
 * message worded as the real server words them, so clients parse what they would in a cluster.
 */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface ApiStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  details?: { name?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

/** Thrown inside the fake; the router answers with its status. */
export class ApiStatusError extends Error {
  constructor(readonly status: ApiStatus) {
    super(status.message);
  }
}

function failure(
  code: number,
  reason: string,
  message: string,
  details?: ApiStatus["details"],
): ApiStatusError {
  return new ApiStatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

export function notFound(resource: string, name: string): ApiStatusError {
  return failure(404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
}

export function noSuchPath(): ApiStatusError {
  return failure(404, "NotFound", "the server could not find the requested resource");
}

export function alreadyExists(resource: string, name: string): ApiStatusError {
  return failure(409, "AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });
}

export function invalid(kind: string, name: string, causes: StatusCause[]): ApiStatusError {
  const summary = causes.map((cause) => `${cause.field}: ${cause.message}`).join(", ");
  return failure(422, "Invalid", `${kind} "${name}" is invalid: ${summary}`, { name, kind, causes });
}

export function forbidden(resource: string, name: string, why: string): ApiStatusError {
  return failure(403, "Forbidden", `${resource} "${name}" is forbidden: ${why}`, { name, kind: resource });
}

export function badRequest(message: string): ApiStatusError {
  return failure(400, "BadRequest", message);
}

export function unauthorized(): ApiStatusError {
  return failure(401, "Unauthorized", "Unauthorized");
}

export function methodNotAllowed(method: string): ApiStatusError {
  return failure(
    405,
    "MethodNotAllowed",
    `the server does not allow this method on the requested resource (${method})`,
  );
}

/** The optimistic-concurrency refusal: the object changed since the client read it. */
export function conflict(resource: string, name: string): ApiStatusError {
  return failure(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, kind: resource },
  );
}

export function unsupportedMediaType(contentType: string): ApiStatusError {
  return failure(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType})`,
  );
}
