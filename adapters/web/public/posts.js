// The transcript on the page. A post's text arrives as HTML the server rendered from Markdown
// with raw HTML turned off, and a table post's table as HTML it built from the cells, each one
// escaped (web-table.ts); so it holds no markup anyone typed or any program printed. It is the
// only HTML the page inserts. Everything else is built with textContent and attributes.

const STATUS_TEXT = { queued: "queued", working: "working…", done: "done", failed: "failed" };

export function humanSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function attachmentNode(file) {
  const size = humanSize(file.size);
  if (file.kind === "image") {
    const figure = element("figure", { class: "attachment image" });
    const link = element("a", { href: file.url, target: "_blank", rel: "noopener" });
    link.append(element("img", { src: file.url, alt: file.name, "data-testid": "reply-image" }));
    const caption = element("figcaption");
    caption.append(
      element("a", { href: file.url, download: file.name, "data-testid": "file-link" }, file.name),
    );
    caption.append(` · ${size}`);
    figure.append(link, caption);
    return figure;
  }
  if (file.kind === "html") {
    // HTML that Python made runs only in a sandboxed frame: scripts, but no access to this page.
    const box = element("div", { class: "attachment html" });
    box.append(
      element("iframe", {
        src: file.url,
        sandbox: "allow-scripts",
        title: file.name,
        "data-testid": "html-frame",
      }),
    );
    const caption = element("div", { class: "caption" });
    caption.append(
      element("a", { href: file.url, download: file.name, "data-testid": "file-link" }, file.name),
    );
    caption.append(` · ${size}`);
    box.append(caption);
    return box;
  }
  const box = element("div", { class: "attachment file" });
  box.append(
    element("a", { href: file.url, download: file.name, "data-testid": "file-link" }, `📄 ${file.name}`),
  );
  box.append(` · ${size}`);
  return box;
}

export function postNode(view) {
  const item = element("li", {
    class: `post post-${view.role}`,
    "data-post-id": view.id,
    "data-version": String(view.version),
    "data-testid": view.role === "user" ? "user-message" : "reply-post",
  });
  if (view.replyTo) item.setAttribute("data-reply-to", view.replyTo);
  if (view.html) {
    const body = element("div", { class: "post-body markdown" });
    body.innerHTML = view.html; // Rendered by the server: markdown-it with html: false, tables escaped.
    item.append(body);
  }
  for (const file of view.attachments) item.append(attachmentNode(file));
  if (view.role === "user" && view.status) {
    item.append(
      element(
        "span",
        {
          class: `post-status status-${view.status}`,
          "data-status": view.status,
          "data-testid": "message-status",
        },
        STATUS_TEXT[view.status] ?? view.status,
      ),
    );
  }
  return item;
}

/** Adds a post, or replaces the shown one when this version is newer. */
export function showPost(list, view) {
  const existing = [...list.children].find((node) => node.dataset.postId === view.id);
  if (existing) {
    if (Number(existing.dataset.version) >= view.version) return;
    existing.replaceWith(postNode(view));
    return;
  }
  list.append(postNode(view));
}
