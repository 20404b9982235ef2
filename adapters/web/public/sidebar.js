// The conversation list. Titles are text, never markup.
export function showConversations(list, conversations, currentId, onSelect) {
  list.replaceChildren(
    ...conversations.map((conversation) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "conversation";
      button.textContent = conversation.title;
      button.title = conversation.title;
      button.dataset.conversationId = conversation.id;
      button.dataset.testid = "conversation-item";
      if (conversation.id === currentId) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => onSelect(conversation.id));
      item.append(button);
      return item;
    }),
  );
}
