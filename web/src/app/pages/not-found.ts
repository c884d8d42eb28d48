// Any path no page claims.
import { h, heading, link } from "../ui/dom.ts";
import type { Page, PublicContext } from "./page.ts";

export function notFoundPage(): Page<PublicContext> {
  return {
    id: "not-found",
    title: "Not found",
    render: () => h("section", { class: "page narrow" },
      heading("There is no such page"),
      h("p", {}, "The address may be mistyped, or the page has moved."),
      h("p", {}, link("/chats", "Go to your chats"))),
  };
}
