// The chat list: titles decrypted in the page, newest first, one keyset page at a time ("Show more"); new chat,
// rename and delete (with a confirmation) in place.
import { userMessage } from "../api/errors.ts";
import { button, field, h, heading, link } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import { ChatVault, type Chat } from "../vault/chats.ts";
import { searchChat } from "../vault/search.ts";
import { chatTitle, deleteConfirm, renameForm } from "./chat-actions.ts";
import type { Page, PageContext } from "./page.ts";

const pageSize = 30;

export function chatsPage(): Page {
  return {
    id: "chats",
    title: "Chats",
    render: (ctx) => render(ctx),
  };
}

function render(ctx: PageContext): HTMLElement {
  const vault = new ChatVault(ctx.api, ctx.keys);
  const notice = new Notice();
  const list = h("ul", { class: "chat-list", "aria-label": "Your chats" });
  const empty = h("p", { class: "hint", hidden: true }, "No chats yet. Start one above.");
  const loading = h("p", { class: "hint", role: "status" }, "Loading your chats…");
  let cursor: string | null = null;
  const more = button("Show more chats", () => void whileBusy(more, "Loading…", loadPage), { class: "secondary", hidden: true });

  async function loadPage(): Promise<void> {
    try {
      const page = await vault.listPage(cursor, pageSize, ctx.signal);
      if (ctx.signal.aborted) return;
      for (const chat of page.chats) list.append(chatItem(chat));
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      empty.hidden = list.childElementCount > 0;
    } catch (error) {
      if (!ctx.signal.aborted) notice.error(error);
    } finally {
      loading.remove();
    }
  }

  function chatItem(chat: Chat): HTMLLIElement {
    const item = h("li", { class: "chat-item", "data-chat-id": chat.id });
    const showRow = (current: Chat) => {
      const meta = current.messageCount === 1 ? "1 message" : `${current.messageCount} messages`;
      const when = formatTime(current.lastMessageAt ?? current.createdAt);
      const title = chatTitle(current);
      item.replaceChildren(
        h("div", { class: "chat-item-main" }, link(`/chats/${current.id}`, title, { class: "chat-link" }),
          h("span", { class: "chat-meta" }, `${meta} · ${when}`)),
        h("div", { class: "actions" },
          button("Rename", () => item.replaceChildren(renameForm(vault, current, (renamed) => {
            showRow(renamed ?? current);
            item.querySelector<HTMLElement>(".chat-link")?.focus();
          })), { class: "secondary", "aria-label": `Rename ${title}` }),
          button("Delete", () => item.replaceChildren(deleteConfirm(vault, current, (deleted) => {
            if (deleted) {
              item.remove();
              empty.hidden = list.childElementCount > 0;
              notice.success(`Deleted “${title}”.`);
            } else {
              showRow(current);
            }
          })), { class: "secondary", "aria-label": `Delete ${title}` })));
    };
    showRow(chat);
    return item;
  }

  const title = field({ label: "Title of the new chat", name: "title", maxLength: 200, placeholder: "e.g. Refactor the parser" });
  const create = h("button", { type: "submit", class: "primary" }, "New chat");
  const form = h("form", { class: "new-chat" }, title.root, h("div", { class: "actions" }, create));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    notice.clear();
    void whileBusy(create, "Creating…", async () => {
      try {
        const chat = await vault.create(title.input.value.trim());
        ctx.shell.navigate(`/chats/${chat.id}`);
      } catch (error) {
        notice.error(userMessage(error));
      }
    });
  });

  // Search: every chat and its messages decrypted here and matched here; the query never leaves the page.
  const query = field({ label: "Search your chats", name: "search", type: "search", placeholder: "words in a title or a message" });
  const find = h("button", { type: "submit" }, "Search");
  const clear = button("Clear", () => {
    query.input.value = "";
    results.replaceChildren();
    results.hidden = true;
    list.hidden = false;
    more.hidden = cursor === null;
  }, { class: "secondary", hidden: true });
  const results = h("ul", { class: "chat-list search-results", "aria-label": "Search results", hidden: true });
  const search = h("form", { class: "chat-search", role: "search" }, query.root, h("div", { class: "actions" }, find, clear));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    notice.clear();
    void whileBusy(find, "Searching…", async () => {
      try {
        const all: Chat[] = [];
        let next: string | null = null;
        do {
          const page = await vault.listPage(next, 200, ctx.signal);
          all.push(...page.chats);
          next = page.nextCursor;
        } while (next !== null);
        const items: HTMLLIElement[] = [];
        for (const chat of all) {
          const messages = chat.messageCount === 0 ? [] : (await vault.messages(chat.id, ctx.signal)).map((m) => m.body);
          const hit = searchChat(chatTitle(chat), messages, query.input.value);
          if (hit === null) continue;
          items.push(h("li", { class: "chat-item" }, h("div", { class: "chat-item-main" },
            link(`/chats/${chat.id}`, chatTitle(chat), { class: "chat-link" }),
            hit.where === "message" ? h("span", { class: "chat-meta search-snippet" }, hit.snippet) : null)));
        }
        if (ctx.signal.aborted) return;
        results.replaceChildren(...(items.length > 0 ? items : [h("li", { class: "hint" }, "No chat has these words.")]));
        results.hidden = false;
        list.hidden = true;
        more.hidden = true;
        clear.hidden = false;
      } catch (error) {
        if (!ctx.signal.aborted) notice.error(error);
      }
    });
  });

  void loadPage();
  return h("section", { class: "page chats-page" }, heading("Chats"), notice.root, form, search, loading, results, list, empty, more);
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}
