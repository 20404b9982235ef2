/**
 * The headers every response carries. The page's policy lets it load only its own files and
 * run only its own scripts (no inline script or style, nothing from the internet), be framed
 * by nobody, and frame only this server's files. Files that Python made are served under a
 * policy of their own (FILE_HEADERS): a sandbox, so an HTML file runs its scripts, if at all,
 * in an opaque origin that cannot reach the chat.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/**
 * HTML from Python, shown in the page's sandboxed frame: scripts run, but never as the chat, and
 * it loads and sends nothing over the network. The sandbox has no network so that what code sees
 * stays in it; a chart that could fetch would carry that data out through the viewer's browser.
 * So an interactive figure must be self-contained (plotly.js inlined), as the sandbox makes it.
 */
export const HTML_FILE_CSP = [
  "sandbox allow-scripts",
  "default-src 'none'",
  "script-src 'unsafe-inline' 'unsafe-eval'",
  "style-src 'unsafe-inline'",
  "img-src data: blob:",
  "font-src data:",
  "connect-src 'none'",
  "form-action 'none'",
].join("; ");
/** Every other file: no scripts, no plugins, whatever its bytes say. */
export const FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'";
