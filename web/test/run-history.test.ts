// Issue 14: which turns of a chat go with a follow-up, per provider — the same cases as the C# client's
// ConversationHistoryTests, so the two clients continue a chat alike.
import assert from "node:assert/strict";
import { test } from "node:test";
import { conversationHistory } from "../src/app/run/history.ts";
import { jobJson } from "../src/app/run/job.ts";
import type { ChatMessageBody } from "../src/app/vault/chats.ts";

const user = (text: string): ChatMessageBody => ({ role: "user", text, provider: null, model: null });
const answer = (provider: string, text: string): ChatMessageBody => ({ role: "assistant", text, provider, model: null });
const failed = (provider: string): ChatMessageBody =>
  ({ role: "assistant", text: "half an answ", provider, model: null, failure: { kind: "time_limit", status: null, message: "Codex did not finish." } });

test("each provider continues its own thread without failures or prompts it never answered", () => {
  const chat = [
    user("a note to myself"),
    user("first question"), answer("anthropic", "claude 1"), answer("openai", "codex 1"),
    user("second question"), failed("openai"), answer("anthropic", "claude 2"),
    null, // a message this page could not decrypt
    user("only for codex"), answer("openai", "codex 3"),
  ];
  const show = (provider: string) => conversationHistory(chat, provider).map((t) => `${t.role}: ${t.text}`);
  assert.deepEqual(show("anthropic"), ["user: a note to myself", "user: first question", "assistant: claude 1", "user: second question", "assistant: claude 2"]);
  assert.deepEqual(show("openai"), ["user: a note to myself", "user: first question", "assistant: codex 1", "user: only for codex", "assistant: codex 3"]);
  assert.deepEqual(show("google"), ["user: a note to myself"]);
});

test("the job carries the history only when there is one", () => {
  const base = { provider: "openai", credentialType: "api_key" as const, credential: "sk", prompt: "And now?", timeLimitSeconds: 60, maxOutputBytes: 0 };
  assert.equal("history" in jobJson(base, new Uint8Array(32)), false);
  assert.equal("history" in jobJson({ ...base, history: [] }, new Uint8Array(32)), false);
  assert.deepEqual(jobJson({ ...base, history: [{ role: "user", text: "hi" }] }, new Uint8Array(32)).history, [{ role: "user", text: "hi" }]);
});
