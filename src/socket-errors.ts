/** Node's socket errors on the way to a server (database, Docker engine): it is down, restarting or unreachable. */
export const UNREACHABLE_SOCKET_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
