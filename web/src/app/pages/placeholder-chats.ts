// Stands in for the chats page until helper/webrun's pages land (they replace this file and its registration).
import { h, heading, link } from "../ui/dom.ts";
import type { Page } from "./page.ts";

export function placeholderChatsPage(): Page {
  return {
    id: "chats",
    title: "Chats",
    render: () => h("section", { class: "page" },
      heading("Chats"),
      h("p", {}, "Chats are not part of this build yet. Add a provider key meanwhile: ", link("/providers", "Providers"))),
  };
}
