// The page's only way to the server. Every request that changes something carries the
// x-cib-request header the server requires (a form on another site cannot send it).
const CHANGE = { "x-cib-request": "1" };

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, url, body) {
  const init = { method, credentials: "same-origin", headers: method === "GET" ? {} : { ...CHANGE } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "The server could not be reached. Is the bot running?");
  }
  if (response.status === 401) {
    location.assign("/signin");
    throw new ApiError(401, "Sign in first.");
  }
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    throw new ApiError(response.status, answer.error ?? `The server answered ${response.status}.`);
  }
  return response.status === 204 ? null : response.json();
}

const conversation = (id) => `/api/conversations/${encodeURIComponent(id)}`;

export const api = {
  info: () => call("GET", "/api/info"),
  conversations: () => call("GET", "/api/conversations"),
  create: () => call("POST", "/api/conversations", {}),
  load: (id) => call("GET", conversation(id)),
  rename: (id, title) => call("PATCH", conversation(id), { title }),
  remove: (id) => call("DELETE", conversation(id)),
  send: (id, form) => call("POST", `${conversation(id)}/messages`, form),
  cancel: (id) => call("POST", `${conversation(id)}/cancel`, {}),
  files: (id) => call("GET", `${conversation(id)}/files`),
  eventsUrl: (id, after) => `${conversation(id)}/events?after=${encodeURIComponent(after)}`,
  fileUrl: (id, path) => `${conversation(id)}/files/${path.split("/").map(encodeURIComponent).join("/")}`,
};
