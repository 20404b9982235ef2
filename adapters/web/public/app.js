// The web chat's page: a sidebar of conversations, the open one's transcript kept live over
// Server-Sent Events, the message box, and the sandbox's files.
import { api } from "./api.js";
import { Composer } from "./composer.js";
import { FilesPanel } from "./files-panel.js";
import { follow } from "./live.js";
import { showPost } from "./posts.js";
import { showConversations } from "./sidebar.js";

const $ = (id) => document.getElementById(id);
const ui = {
  list: $("conversation-list"),
  title: $("conversation-title"),
  renameInput: $("rename-input"),
  rename: $("rename"),
  remove: $("delete"),
  posts: $("posts"),
  empty: $("empty"),
  status: $("status"),
  cancel: $("cancel"),
  error: $("error"),
};
const state = { conversations: [], current: null, stopFollowing: null, activity: "idle", stick: true };

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function showActivity(activity) {
  state.activity = activity.state;
  ui.status.dataset.state = activity.state;
  ui.status.textContent = activity.label;
  ui.cancel.disabled = activity.state === "idle";
}

function showTitle() {
  const conversation = state.conversations.find((c) => c.id === state.current);
  ui.title.textContent = conversation?.title ?? "Code Interpreter";
  document.title = conversation ? `${conversation.title} · Code Interpreter` : "Code Interpreter";
  ui.rename.disabled = ui.remove.disabled = !conversation;
  showConversations(ui.list, state.conversations, state.current, (id) => void open(id));
}

function nearBottom() {
  const scroller = ui.posts;
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

/** Keeps the newest post in view while the reader is at the bottom, as posts and pictures arrive. */
function stickToBottom() {
  if (state.stick) ui.posts.scrollTop = ui.posts.scrollHeight;
}

function addPost(view) {
  showPost(ui.posts, view);
  ui.empty.hidden = true;
  stickToBottom();
}

async function refreshList() {
  state.conversations = (await api.conversations()).conversations;
  showTitle();
}

async function open(id) {
  state.stopFollowing?.();
  state.stopFollowing = null;
  state.current = id;
  history.replaceState(null, "", id ? `#${encodeURIComponent(id)}` : location.pathname);
  ui.posts.replaceChildren();
  ui.empty.hidden = false;
  showActivity({ state: "idle", label: "" });
  files.show(id);
  showTitle();
  if (!id) return;
  const view = await api.load(id);
  if (state.current !== id) return;
  state.stick = true;
  for (const post of view.posts) addPost(post);
  showActivity(view.activity);
  state.stopFollowing = follow(id, view.conversation.version, {
    post: addPost,
    activity: (activity) => {
      const wasBusy = state.activity !== "idle";
      showActivity(activity);
      if (wasBusy && activity.state === "idle" && files.open) void files.refresh();
    },
    conversation: (conversation) => {
      state.conversations = state.conversations.map((c) => (c.id === conversation.id ? conversation : c));
      showTitle();
    },
    deleted: () => void refreshList().then(() => open(state.conversations[0]?.id ?? null)),
    connected: (ok) => ui.status.classList.toggle("offline", !ok),
  });
}

async function newConversation() {
  const { conversation } = await api.create();
  state.conversations.unshift(conversation);
  await open(conversation.id);
  $("message").focus();
  return conversation.id;
}

function startRename() {
  if (!state.current) return;
  ui.renameInput.value = ui.title.textContent;
  ui.title.hidden = true;
  ui.renameInput.hidden = false;
  ui.renameInput.focus();
  ui.renameInput.select();
}

async function finishRename(save) {
  if (ui.renameInput.hidden) return;
  ui.renameInput.hidden = true;
  ui.title.hidden = false;
  const title = ui.renameInput.value.trim();
  if (save && title && state.current)
    await api.rename(state.current, title).catch((e) => showError(e.message));
  await refreshList();
}

async function removeCurrent() {
  const id = state.current;
  if (!id) return;
  // Two clicks: deleting resets the sandbox, so its variables and files are gone for good.
  if (ui.remove.dataset.confirm !== "yes") {
    ui.remove.dataset.confirm = "yes";
    ui.remove.textContent = "Delete for good?";
    setTimeout(() => {
      ui.remove.dataset.confirm = "";
      ui.remove.textContent = "Delete";
    }, 4000);
    return;
  }
  ui.remove.dataset.confirm = "";
  ui.remove.textContent = "Delete";
  state.stopFollowing?.();
  await api.remove(id);
  await refreshList();
  await open(state.conversations[0]?.id ?? null);
}

const files = new FilesPanel($("files-panel"), $("file-list"), $("files-note"));

async function main() {
  const info = await api.info();
  $("no-model").hidden = info.modelConfigured;
  new Composer({
    form: $("composer"),
    textarea: $("message"),
    fileInput: $("file-input"),
    chosen: $("chosen-files"),
    dropZone: $("chat"),
    maxBytes: info.maxAttachmentBytes,
    onError: showError,
    onSend: async (form) => {
      showError("");
      const id = state.current ?? (await newConversation());
      await api.send(id, form);
    },
  });
  $("new-conversation").addEventListener(
    "click",
    () => void newConversation().catch((e) => showError(e.message)),
  );
  ui.rename.addEventListener("click", startRename);
  ui.renameInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") void finishRename(true);
    if (event.key === "Escape") void finishRename(false);
  });
  ui.renameInput.addEventListener("blur", () => void finishRename(true));
  ui.remove.addEventListener("click", () => void removeCurrent().catch((e) => showError(e.message)));
  ui.cancel.addEventListener("click", () => {
    if (state.current) void api.cancel(state.current).catch((e) => showError(e.message));
  });
  $("toggle-files").addEventListener("click", (event) => {
    event.currentTarget.setAttribute("aria-expanded", String(files.toggle()));
  });
  $("refresh-files").addEventListener("click", () => void files.refresh());
  ui.error.addEventListener("click", () => showError(""));
  ui.posts.addEventListener("scroll", () => {
    state.stick = nearBottom();
  });
  // Pictures grow the transcript after their post arrived; "load" does not bubble, so capture it.
  ui.posts.addEventListener("load", stickToBottom, true);
  await refreshList();
  const wanted = decodeURIComponent(location.hash.slice(1));
  const known = state.conversations.find((c) => c.id === wanted) ?? state.conversations[0];
  await open(known?.id ?? null);
}

main().catch((error) => showError(error.message));
