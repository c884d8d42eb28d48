// Rename and delete for one chat, as small inline forms (no window.confirm: keyboard- and screen-reader-friendly,
// and the same on every browser). Used by the chat list and by the chat page.
import { userMessage } from "../api/errors.ts";
import { button, field, h } from "../ui/dom.ts";
import { whileBusy } from "../ui/feedback.ts";
import type { Chat, ChatVault } from "../vault/chats.ts";

export const untitled = "Untitled chat";

export function chatTitle(chat: Chat): string {
  if (chat.title === null) return "(this title could not be decrypted)";
  return chat.title.trim() === "" ? untitled : chat.title;
}

/** A form that renames `chat`; the typed title stays when saving fails. */
export function renameForm(vault: ChatVault, chat: Chat, done: (renamed: Chat | null) => void): HTMLFormElement {
  const title = field({ label: "New title", name: "title", value: chat.title ?? "", maxLength: 200 });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary" }, "Save title");
  const form = h("form", { class: "inline-form", "aria-label": `Rename ${chatTitle(chat)}` },
    title.root, error, h("div", { class: "actions" }, save, button("Cancel", () => done(null), { class: "secondary" })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.hidden = true;
    void whileBusy(save, "Saving…", async () => {
      try {
        done(await vault.rename(chat, title.input.value.trim()));
      } catch (e) {
        error.textContent = userMessage(e);
        error.hidden = false;
      }
    });
  });
  queueMicrotask(() => title.input.focus());
  return form;
}

/** Asks before deleting a chat and its messages. */
export function deleteConfirm(vault: ChatVault, chat: Chat, done: (deleted: boolean) => void): HTMLElement {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const messages = chat.messageCount === 1 ? "its message" : `its ${chat.messageCount} messages`;
  const confirm = button("Delete chat", () => {
    error.hidden = true;
    void whileBusy(confirm, "Deleting…", async () => {
      try {
        await vault.delete(chat.id);
        done(true);
      } catch (e) {
        error.textContent = userMessage(e);
        error.hidden = false;
      }
    });
  }, { class: "danger" });
  const keep = button("Keep it", () => done(false), { class: "secondary" });
  const root = h("div", { class: "confirm", role: "group", "aria-label": "Confirm delete" },
    h("p", {}, `Delete “${chatTitle(chat)}” and ${messages}? This cannot be undone.`),
    error, h("div", { class: "actions" }, confirm, keep));
  queueMicrotask(() => keep.focus());
  return root;
}
