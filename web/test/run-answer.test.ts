import assert from "node:assert/strict";
import { test } from "node:test";
import { Answer, toolInputSummary } from "../src/app/run/answer.ts";
import { problemMessage, providerName } from "../src/app/run/words.ts";

test("text events concatenate; tool use and its result are their own part between the texts", () => {
  const answer = new Answer("openai");
  assert.equal(answer.status, "starting");
  answer.apply({ type: "accepted", provider: "openai" });
  assert.equal(answer.status, "running");
  answer.apply({ type: "start", model: "gpt-5" });
  const first = answer.apply({ type: "text", text: "Hel" });
  assert.deepEqual(first.kind === "text" && [first.appended, first.isNewPart], ["Hel", true]);
  const second = answer.apply({ type: "text", text: "lo" });
  assert.deepEqual(second.kind === "text" && [second.appended, second.isNewPart], ["lo", false]);
  answer.apply({ type: "tool_use", id: "i1", name: "command_execution", input: { command: "ls -la" } });
  const result = answer.apply({ type: "tool_result", id: "i1", output: "a.txt", isError: false });
  assert.equal(result.kind === "tool" && result.isNewPart, false);
  answer.apply({ type: "text", text: " world" });
  answer.apply({ type: "result", isError: false, text: "ignored: text already shown" });
  answer.apply({ type: "exit", exitCode: 0, reason: "ok" });
  assert.equal(answer.text, "Hello world");
  assert.deepEqual(answer.parts.map((p) => p.kind), ["text", "tool", "text"]);
  assert.deepEqual(answer.parts[1], { kind: "tool", id: "i1", name: "command_execution", input: { command: "ls -la" }, result: { output: "a.txt", isError: false } });
  assert.equal(answer.status, "done");
  assert.equal(answer.model, "gpt-5");
  assert.equal(answer.problem, "");
});

test("a failed CLI says why in words, with its last error", () => {
  const answer = new Answer("google");
  answer.apply({ type: "start", model: "auto" });
  answer.apply({ type: "error", source: "cli", message: "[API Error: 401 API key not valid]" });
  answer.apply({ type: "error", source: "stderr", message: "warning: TERM=dumb\nstack trace line" });
  answer.apply({ type: "exit", exitCode: 145, reason: "cli_error" });
  assert.equal(answer.status, "failed");
  assert.equal(answer.model, undefined);
  assert.equal(answer.problem, "Gemini stopped with an error (exit code 145): [API Error: 401 API key not valid]");
});

test("a cancelled run is cancelled, whether the agent saw SIGTERM or the server ended it", () => {
  const killed = new Answer("anthropic");
  killed.cancelled = true;
  killed.apply({ type: "exit", reason: "killed" });
  assert.deepEqual([killed.status, killed.problem], ["cancelled", "Cancelled."]);

  const stopped = new Answer("anthropic");
  stopped.apply({ type: "stopped", state: "cancelled", reason: "cancelled" });
  assert.deepEqual([stopped.status, stopped.problem], ["cancelled", "Cancelled."]);

  const lost = new Answer("anthropic");
  lost.apply({ type: "stopped", state: "failed", reason: "sandbox_lost" });
  assert.deepEqual([lost.status, lost.problem], ["failed", "Claude's sandbox was lost while it ran. Send again."]);
});

test("an answer given only in the result line is shown as the answer", () => {
  const answer = new Answer("anthropic");
  answer.apply({ type: "result", isError: false, text: "only here" });
  assert.equal(answer.text, "only here");
});

test("a tool result without its tool use still shows", () => {
  const answer = new Answer("anthropic");
  answer.apply({ type: "tool_result", id: "x", output: "out", isError: true });
  assert.equal(answer.parts[0]?.kind, "tool");
});

test("tool input summaries: the command or path, else compact JSON, one line, clipped", () => {
  assert.equal(toolInputSummary({ command: "ls\n-la" }), "ls -la");
  assert.equal(toolInputSummary({ file_path: "/src/a.ts", content: "…" }), "/src/a.ts");
  assert.equal(toolInputSummary({ a: 1 }), '{"a":1}');
  assert.equal(toolInputSummary("just text"), "just text");
  assert.equal(toolInputSummary(undefined), "");
  assert.equal(toolInputSummary("x".repeat(300), 10).length, 10);
});

test("problem words per status and step", () => {
  assert.equal(providerName("openai"), "Codex");
  assert.equal(problemMessage("create", 429, undefined, "openai"), "Polydev is busy: too many runs are already going. Wait for one to finish.");
  assert.match(problemMessage("create", 503, "This server runs no sandboxes (Sandboxes:Engine is 'none'); …", "openai"), /operator has not turned on sandboxes/);
  assert.match(problemMessage("start", 409, "The execution is cancelled; …", "google"), /Gemini sandbox was released/);
  assert.equal(problemMessage("status", 404, undefined, "google"), "This run no longer exists on the server.");
  assert.match(problemMessage("create", 500, undefined, "google"), /error 500/);
});

test("a classified failure is one sentence with the credential's name, its detail kept for the disclosure (issue 14)", () => {
  const answer = new Answer("anthropic", { label: "work", kind: "API key" });
  answer.apply({ type: "accepted", provider: "anthropic" });
  answer.apply({ type: "retry", status: 401, attempt: 1, maxRetries: 3, message: "authentication_failed" });
  assert.equal(answer.retrying, "Anthropic answered 401; Claude tries again.");
  answer.apply({ type: "exit", exitCode: 137, reason: "cli_error", failure: { kind: "credential_rejected", status: 401, detail: "authentication_failed" } });
  assert.equal(answer.status, "failed");
  assert.equal(answer.retrying, "");
  assert.equal(answer.problem, "Anthropic rejected the API key “work” (401). Replace it on the Providers page.");
  assert.equal(answer.failure?.detail, "authentication_failed");
});

test("every failure kind reads as a sentence without setting names, fields or exception types", async () => {
  const { failureMessage } = await import("../src/app/run/words.ts");
  const kinds = ["credential_rejected", "rate_limited", "provider_error", "provider_unreachable", "egress_refused", "cli_crashed", "time_limit", "output_limit", "cancelled", "sandbox_lost"];
  const sentences = kinds.map((kind) => failureMessage("google", { kind, status: 429 }, { label: "home", kind: "API key" }));
  assert.equal(new Set(sentences).size, kinds.length);
  for (const sentence of sentences) {
    assert.match(sentence, /^[A-Z].*\.$/);
    assert.doesNotMatch(sentence, /_|Exception|POLYDEV|\{|\bnull\b/);
  }
  assert.match(sentences[1]!, /^Google is limiting requests for the API key “home” \(429\)\./);
});

test("tokens and cost per answer, as the CLI reported them (issue 14)", async () => {
  const { usageLine } = await import("../src/app/run/words.ts");
  const answer = new Answer("anthropic");
  answer.apply({ type: "result", isError: false, usage: { inputTokens: 1234, outputTokens: 56, cachedInputTokens: 0 }, costUsd: 0.000908 });
  assert.equal(usageLine(answer.usage), "1,234 tokens in · 56 out · $0.00091");
  assert.equal(usageLine({ inputTokens: 10, costUsd: 1.5 }), "10 tokens in · $1.50");
  assert.equal(usageLine(undefined), "");
  assert.equal(usageLine(new Answer("openai").usage), "");
});

test("the run's phases are kept in order, each once, for the answer's timeline (issue 14)", () => {
  const answer = new Answer("openai");
  answer.apply({ type: "allocated", warm: true });
  answer.apply({ type: "accepted", provider: "openai" });
  answer.apply({ type: "start", model: "gpt-5" });
  answer.apply({ type: "text", text: "Hel" });
  answer.apply({ type: "text", text: "lo" });
  answer.apply({ type: "exit", exitCode: 0, reason: "ok" });
  assert.deepEqual(answer.phases.map((p) => p.name), ["warm sandbox", "credential delivered", "CLI started", "first output", "done"]);
  assert.ok(answer.phases.every((p, i) => i === 0 || p.ms >= answer.phases[i - 1]!.ms));
});
