// Issue 14: chat search, in the page over decrypted chats: titles first, then messages with a snippet; case and
// accents do not matter; unreadable messages are skipped; a blank query finds nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { searchChat } from "../src/app/vault/search.ts";
import type { ChatMessageBody } from "../src/app/vault/chats.ts";

const message = (text: string): ChatMessageBody => ({ role: "assistant", text, provider: "openai", model: null });

test("titles match first, then messages with a snippet around the match", () => {
  assert.deepEqual(searchChat("Refactor the Parser", [message("parser notes")], "parser"), { where: "title", snippet: "Refactor the Parser" });
  const long = `${"a".repeat(60)} the Crème brûlée recipe ${"b".repeat(60)}`;
  const hit = searchChat("Dessert", [null, message("nothing here"), message(long)], "creme BRULEE");
  assert.equal(hit?.where, "message");
  assert.match(hit!.snippet, /^….*Crème brûlée recipe.*…$/);
  assert.equal(searchChat("Dessert", [message("nothing")], "recipe"), null);
  assert.equal(searchChat("Dessert", [message("anything")], "   "), null);
});
