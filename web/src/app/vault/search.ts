// Searching chats happens here, in the page, over what the page decrypted (issue 14): the server never sees a query,
// and holds nothing it could search. Case- and accent-insensitive substring matching, titles first.
import type { ChatMessageBody } from "./chats.ts";

export interface SearchHit {
  /** Where it matched: the title, or a message (with a snippet around the match). */
  readonly where: "title" | "message";
  readonly snippet: string;
}

const fold = (text: string) => text.normalize("NFD").replace(/\p{Mn}/gu, "").toLowerCase();

/** The first place `query` occurs in the chat, or null; a blank query matches nothing. */
export function searchChat(title: string, messages: readonly (ChatMessageBody | null)[], query: string): SearchHit | null {
  const needle = fold(query.trim());
  if (needle === "") return null;
  if (fold(title).includes(needle)) return { where: "title", snippet: title };
  for (const message of messages) {
    if (message === null) continue;
    const text = message.text.replace(/\s+/g, " ");
    // Folding keeps the length for the usual accents, so the index points into the original text.
    const at = fold(text).indexOf(needle);
    if (at < 0) continue;
    const start = Math.max(0, at - 40);
    const end = Math.min(text.length, at + needle.length + 40);
    return { where: "message", snippet: `${start > 0 ? "…" : ""}${text.slice(start, end)}${end < text.length ? "…" : ""}` };
  }
  return null;
}
