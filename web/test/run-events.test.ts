import assert from "node:assert/strict";
import { test } from "node:test";
import { importAesGcmKey, utf8 } from "../src/crypto/bytes.ts";
import { OutputFrameSplitter, OutputStreamDecryptor } from "../src/crypto/output-stream.ts";
import { decodeEvent, type AgentEvent } from "../src/app/run/events.ts";
import { hex, loadVectors, type OutputStreamVectors } from "./vectors.ts";

const vectors = loadVectors<OutputStreamVectors>("output-stream.json");
const decode = (json: string) => decodeEvent(utf8(json));

test("the C#-made output stream vector decodes to its events (the empty chunk is skipped)", async () => {
  const key = await importAesGcmKey(hex(vectors.key));
  const decryptor = new OutputStreamDecryptor(key);
  const splitter = new OutputFrameSplitter();
  const events: AgentEvent[] = [];
  const stream = hex(vectors.stream);
  // Odd piece sizes, so frames and length prefixes are split across reads as fetch() may deliver them.
  for (let offset = 0; offset < stream.length; offset += 7) {
    for (const frame of splitter.push(stream.subarray(offset, offset + 7))) {
      const event = decodeEvent((await decryptor.open(frame)).plaintext);
      if (event !== null) events.push(event);
    }
  }
  splitter.end();
  decryptor.complete();
  assert.deepEqual(events, [
    { type: "text", text: "Hello" },
    { type: "text", text: " wörld" },
    { type: "exit", exitCode: 0, reason: "ok" },
  ]);
});

test("every documented event type and field (docs/events.md)", () => {
  assert.deepEqual(decode('{"type":"accepted","provider":"openai"}'), { type: "accepted", provider: "openai" });
  assert.deepEqual(decode('{"type":"start","session":"s-1","model":"gpt-5"}'), { type: "start", session: "s-1", model: "gpt-5" });
  assert.deepEqual(decode('{"type":"start"}'), { type: "start" });
  assert.deepEqual(decode('{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls -la"}}'),
    { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls -la" } });
  assert.deepEqual(decode('{"type":"tool_result","id":"t1","output":"a\\nb","isError":false}'),
    { type: "tool_result", id: "t1", output: "a\nb", isError: false });
  assert.deepEqual(decode('{"type":"tool_result","id":"t1","isError":true}'), { type: "tool_result", id: "t1", isError: true });
  assert.deepEqual(decode('{"type":"result","isError":false,"text":"done","usage":{"inputTokens":10,"outputTokens":5,"cachedInputTokens":0},"costUsd":0.01,"durationMs":1200}'),
    { type: "result", isError: false, text: "done", usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0 }, costUsd: 0.01, durationMs: 1200 });
  assert.deepEqual(decode('{"type":"error","source":"stderr","message":"warning"}'), { type: "error", source: "stderr", message: "warning" });
  assert.deepEqual(decode('{"type":"exit","reason":"cli_error"}'), { type: "exit", reason: "cli_error" });
  assert.deepEqual(decode('{"type":"exit","exitCode":145,"reason":"cli_error"}'), { type: "exit", exitCode: 145, reason: "cli_error" });
});

test("unknown event types and fields are ignored; a wrong-typed optional field is absent", () => {
  assert.equal(decode('{"type":"thinking","text":"hm"}'), null);
  assert.deepEqual(decode('{"type":"text","text":"x","newField":1}'), { type: "text", text: "x" });
  assert.deepEqual(decode('{"type":"exit","exitCode":"1","reason":"ok"}'), { type: "exit", reason: "ok" });
  assert.equal(decodeEvent(new Uint8Array(0)), null);
});

test("a chunk that is not a JSON object is an error", () => {
  assert.throws(() => decode("[1,2]"), SyntaxError);
  assert.throws(() => decode("not json"), SyntaxError);
  assert.throws(() => decodeEvent(Uint8Array.of(0xff, 0xfe)), TypeError); // not UTF-8
});

test("a retry and an exit's failure decode with every field (issue 14)", () => {
  assert.deepEqual(decode('{"type":"retry","status":429,"attempt":2,"maxRetries":3,"delayMs":1085,"message":"rate_limit"}'),
    { type: "retry", status: 429, attempt: 2, maxRetries: 3, delayMs: 1085, message: "rate_limit" });
  assert.deepEqual(decode('{"type":"exit","exitCode":137,"reason":"cli_error","failure":{"kind":"credential_rejected","status":401,"detail":"authentication_failed"}}'),
    { type: "exit", exitCode: 137, reason: "cli_error", failure: { kind: "credential_rejected", status: 401, detail: "authentication_failed" } });
  // A failure without a kind says nothing: absent, like any wrong-typed optional field.
  assert.deepEqual(decode('{"type":"exit","reason":"cli_error","failure":{"status":401}}'), { type: "exit", reason: "cli_error" });
});

test("an exit's timings decode with every phase, whether the CLI was started ahead included (issue 19)", () => {
  assert.deepEqual(decode('{"type":"exit","exitCode":0,"reason":"ok","timings":{"credentialPlacedMs":3,"cliSpawnedMs":4,"cliStartedAhead":true,"egressFirstByteMs":40,"providerFirstByteMs":900,"firstTextMs":950,"endMs":1200}}'),
    { type: "exit", exitCode: 0, reason: "ok", timings: { credentialPlacedMs: 3, cliSpawnedMs: 4, cliStartedAhead: true, egressFirstByteMs: 40, providerFirstByteMs: 900, firstTextMs: 950, endMs: 1200 } });
  // A wrong-typed phase is absent, the rest kept.
  assert.deepEqual(decode('{"type":"exit","reason":"ok","timings":{"cliStartedAhead":"yes","endMs":5}}'), { type: "exit", reason: "ok", timings: { endMs: 5 } });
});
