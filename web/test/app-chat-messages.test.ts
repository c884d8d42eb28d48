// What a chat message's plaintext may hold (docs/vault.md): role and text required, provider and model optional,
// and a failed run's failure (issue 14) read back as it was stored; unknown fields ignored.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMessageBody } from "../src/app/vault/chats.ts";

test("a failed run's message reads back with its failure; an answer has none", () => {
  const failed = parseMessageBody(JSON.stringify({
    role: "assistant", text: "partial", provider: "openai", model: null,
    failure: { kind: "time_limit", status: null, message: "Codex did not finish in time and was stopped." }, extra: 1,
  }));
  assert.deepEqual(failed, {
    role: "assistant", text: "partial", provider: "openai", model: null,
    failure: { kind: "time_limit", status: null, message: "Codex did not finish in time and was stopped." },
  });
  assert.deepEqual(parseMessageBody('{"role":"assistant","text":"Hi","provider":"openai"}'), { role: "assistant", text: "Hi", provider: "openai", model: null });
  // A failure without its sentence is not one the page can show: the message reads as an answer.
  assert.equal(parseMessageBody('{"role":"assistant","text":"","failure":{"kind":"time_limit"}}')?.failure, undefined);
});
