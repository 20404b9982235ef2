// The message box: text, files from the picker or dropped on the chat, Enter to send. Files
// over the server's cap are refused here, before any byte is sent. A message that may not have
// arrived keeps its client id, so sending it again cannot answer it twice.
import { humanSize } from "./posts.js";

export class Composer {
  constructor({ form, textarea, fileInput, chosen, dropZone, maxBytes, onSend, onError }) {
    Object.assign(this, { form, textarea, fileInput, chosen, maxBytes, onSend, onError });
    this.files = [];
    this.clientId = null;
    this.sending = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.send();
      }
    });
    textarea.addEventListener("input", () => {
      this.clientId = null;
    });
    fileInput.addEventListener("change", () => {
      this.add([...fileInput.files]);
      fileInput.value = "";
    });
    let depth = 0;
    dropZone.addEventListener("dragenter", (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      depth += 1;
      dropZone.classList.add("dragging");
    });
    dropZone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) dropZone.classList.remove("dragging");
    });
    dropZone.addEventListener("dragover", (event) => event.preventDefault());
    dropZone.addEventListener("drop", (event) => {
      event.preventDefault();
      depth = 0;
      dropZone.classList.remove("dragging");
      this.add([...(event.dataTransfer?.files ?? [])]);
    });
  }

  add(files) {
    for (const file of files) {
      if (file.size > this.maxBytes) {
        this.onError(
          `${file.name} is ${humanSize(file.size)}, over the ${humanSize(this.maxBytes)} limit for attachments (MAX_ATTACHMENT_MB).`,
        );
        continue;
      }
      this.files.push(file);
    }
    this.clientId = null;
    this.showChosen();
  }

  showChosen() {
    this.chosen.replaceChildren(
      ...this.files.map((file, index) => {
        const item = document.createElement("li");
        item.dataset.testid = "chosen-file";
        item.textContent = `${file.name} (${humanSize(file.size)}) `;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `Remove ${file.name}`);
        remove.addEventListener("click", () => {
          this.files.splice(index, 1);
          this.clientId = null;
          this.showChosen();
        });
        item.append(remove);
        return item;
      }),
    );
  }

  async send() {
    const text = this.textarea.value;
    if (this.sending || (!text.trim() && this.files.length === 0)) return;
    this.clientId ??= crypto.randomUUID();
    const form = new FormData();
    form.append("clientId", this.clientId);
    form.append("text", text);
    form.append("sizes", JSON.stringify(this.files.map((file) => file.size)));
    for (const file of this.files) form.append("file", file, file.name);
    this.sending = true;
    try {
      await this.onSend(form);
      this.textarea.value = "";
      this.files = [];
      this.clientId = null;
      this.showChosen();
    } catch (error) {
      this.onError(error.message);
    } finally {
      this.sending = false;
    }
  }
}
