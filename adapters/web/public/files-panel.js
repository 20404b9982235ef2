// The open conversation's sandbox files (/mnt/data), each a download. Asked for only while the
// panel is open: listing a conversation's files may start its sandbox.
import { api } from "./api.js";
import { humanSize } from "./posts.js";

export class FilesPanel {
  constructor(panel, list, note) {
    this.panel = panel;
    this.list = list;
    this.note = note;
    this.conversationId = null;
  }

  get open() {
    return !this.panel.hidden;
  }

  toggle() {
    this.panel.hidden = !this.panel.hidden;
    if (this.open) void this.refresh();
    return this.open;
  }

  show(conversationId) {
    this.conversationId = conversationId;
    this.list.replaceChildren();
    this.note.textContent = "";
    if (this.open) void this.refresh();
  }

  async refresh() {
    const id = this.conversationId;
    if (!id) {
      this.note.textContent = "No conversation is open.";
      return;
    }
    this.note.textContent = "Loading…";
    try {
      const { files } = await api.files(id);
      if (id !== this.conversationId) return;
      this.note.textContent = files.length ? "" : "No files yet.";
      this.list.replaceChildren(
        ...files.map((file) => {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = api.fileUrl(id, file.path);
          link.download = file.path.split("/").pop();
          link.textContent = file.path;
          link.dataset.testid = "sandbox-file-link";
          const size = document.createElement("span");
          size.className = "size";
          size.textContent = humanSize(file.size);
          item.append(link, size);
          return item;
        }),
      );
    } catch (error) {
      if (id === this.conversationId) this.note.textContent = error.message;
    }
  }
}
