// A chat's saved messages on screen, decrypted in the page: the user's prompts, and the answers with the provider
// (and model) that gave them. Answers saved together after one prompt — a perspectives run — sit side by side.
import { markdownView } from "../markdown/markdown-view.ts";
import { h } from "../ui/dom.ts";
import { providerName } from "../run/words.ts";
import type { ChatMessageBody, Message } from "../vault/chats.ts";

export function messageView(body: ChatMessageBody | null): HTMLElement {
  if (body === null) {
    return h("article", { class: "message message-unreadable" },
      h("p", { class: "hint" }, "This message could not be decrypted."));
  }
  if (body.role === "user") {
    return h("article", { class: "message message-user", "aria-label": "You" },
      h("header", { class: "message-author" }, "You"),
      h("div", { class: "message-text" }, body.text));
  }
  const name = body.provider === null ? "Assistant" : providerName(body.provider);
  const failed = body.failure !== undefined;
  return h("article", {
    class: `message message-assistant${failed ? " message-failed" : ""}`, "data-provider": body.provider ?? "",
    ...(failed ? { "data-failure": body.failure!.kind } : {}), "aria-label": failed ? `${name} failed` : `${name}'s answer`,
  },
  h("header", { class: "message-author" }, h("h3", {}, name), body.model === null ? null : h("span", { class: "answer-model" }, body.model)),
  failed ? h("p", { class: "answer-problem" }, body.failure!.message) : null,
  body.text === "" ? null : markdownView(body.text));
}

/** Groups consecutive answers into one row, so a perspectives exchange reads as columns again after a reload. */
export function conversationItems(messages: readonly Message[]): HTMLElement[] {
  const items: HTMLElement[] = [];
  let answers: HTMLElement[] = [];
  const flush = () => {
    if (answers.length === 1) items.push(h("li", {}, answers[0]!));
    else if (answers.length > 1) items.push(h("li", {}, h("div", { class: "perspectives several" }, ...answers)));
    answers = [];
  };
  for (const message of messages) {
    if (message.body?.role === "assistant") {
      answers.push(messageView(message.body));
    } else {
      flush();
      items.push(h("li", {}, messageView(message.body)));
    }
  }
  flush();
  return items;
}
