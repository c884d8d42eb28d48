import assert from "node:assert/strict";
import { test } from "node:test";
import { concat } from "../src/crypto/bytes.ts";
import { ExecutionsClient } from "../src/app/run/executions.ts";
import { ExecutionRun, type RunRequest } from "../src/app/run/execution-run.ts";
import type { RunEvent } from "../src/app/run/follow.ts";
import { RunError } from "../src/app/run/words.ts";
import { executionId, FakeExecutionsServer, problem, sealedFrames } from "./run-fake-server.ts";

const agentEvents = [
  { type: "accepted", provider: "anthropic" },
  { type: "start", session: "s", model: "claude-sonnet-4-5" },
  { type: "text", text: "Hel" },
  { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } },
  { type: "tool_result", id: "t1", output: "a.txt", isError: false },
  { type: "text", text: "lo" },
  { type: "exit", exitCode: 0, reason: "ok" },
];

const request: RunRequest = {
  provider: "anthropic",
  credential: { type: "api_key", secret: "sk-ant-canary", baseUrl: "http://10.217.0.1:9000" },
  prompt: "say hello",
  model: "claude-sonnet-4-5",
};

const noDelay = { delay: async () => {} };

async function collect(run: ExecutionRun): Promise<{ events: RunEvent[]; error?: unknown }> {
  const events: RunEvent[] = [];
  try {
    for await (const event of run.events()) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const pieces = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size));
  return pieces;
}

test("a run: create, seal to the sandbox key, start, stream and decrypt every event", async () => {
  const server = await FakeExecutionsServer.create();
  server.connections.push(async (key) => ({ pieces: split(concat(...await sealedFrames(key, agentEvents)), 5), end: "close" }));
  const { events, error } = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.equal(error, undefined);
  // The page's own "allocated" (issue 14: the run's phases) comes first, then the agent's events as they were sent.
  assert.deepEqual(events, [{ type: "allocated", warm: true }, ...agentEvents]);
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
    "POST /api/executions",
    `POST /api/executions/${executionId}/start`,
    `GET /api/executions/${executionId}/stream?from=0`,
  ]);
  assert.equal(server.requests[0]!.body, '{"provider":"anthropic"}');
  // The job the sandbox opened: the server's proxy URL and limit, the credential's base URL, no CA bundle.
  assert.equal(server.job!["proxyUrl"], "http://exec:tok@10.217.0.1:10001");
  assert.equal(server.job!["baseUrl"], "http://10.217.0.1:9000");
  assert.equal("caBundle" in server.job!, false);
  assert.deepEqual(server.job!["options"], { model: "claude-sonnet-4-5", timeLimitSeconds: 900, maxOutputBytes: 0 });
  // Nothing secret went to the server in the clear.
  for (const r of server.requests) {
    assert.ok(!`${r.path} ${r.body}`.includes("sk-ant-canary"));
    assert.ok(!`${r.path} ${r.body}`.includes("say hello"));
  }
});

test("a dropped connection (inside a frame) resumes from the next sequence number", async () => {
  const server = await FakeExecutionsServer.create();
  server.connections.push(async (key) => {
    const frames = await sealedFrames(key, agentEvents);
    const third = frames[3]!;
    return { pieces: [concat(frames[0]!, frames[1]!, frames[2]!), third.slice(0, 9)], end: "error" };
  });
  server.statusAnswer = { state: "running", reason: null, chunks: 5 };
  server.connections.push(async (key, from) => {
    assert.equal(from, 3);
    const frames = await sealedFrames(key, agentEvents);
    return { pieces: frames.slice(from), end: "close" };
  });
  const { events, error } = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.equal(error, undefined);
  // The page's own "allocated" (issue 14: the run's phases) comes first, then the agent's events as they were sent.
  assert.deepEqual(events, [{ type: "allocated", warm: true }, ...agentEvents]);
  assert.deepEqual(server.streamRequests, ["from=0", "from=3"]);
});

test("a stream that ends cleanly without its final chunk asks the server; a cancelled execution ends the run", async () => {
  const server = await FakeExecutionsServer.create();
  server.connections.push(async (key) => ({ pieces: (await sealedFrames(key, agentEvents)).slice(0, 3), end: "close" }));
  server.statusAnswer = { state: "cancelled", reason: "cancelled", chunks: 3 };
  const { events, error } = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.equal(error, undefined);
  assert.deepEqual(events.at(-1), { type: "stopped", state: "cancelled", reason: "cancelled" });
  assert.equal(events.length, 5); // the page's "allocated" first
});

test("a modified chunk stops the answer with words; the events before it stay", async () => {
  const server = await FakeExecutionsServer.create();
  server.connections.push(async (key) => {
    const frames = await sealedFrames(key, agentEvents);
    const bad = frames[3]!.slice();
    bad[20] = bad[20]! ^ 1;
    return { pieces: [frames[0]!, frames[1]!, frames[2]!, bad], end: "close" };
  });
  const { events, error } = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.equal(events.length, 4); // the page's "allocated" first
  assert.ok(error instanceof RunError);
  assert.match(error.message, /could not be read to the end/);
});

test("a replayed chunk on a resumed stream is refused, not shown twice", async () => {
  const server = await FakeExecutionsServer.create();
  server.connections.push(async (key) => ({ pieces: (await sealedFrames(key, agentEvents)).slice(0, 2), end: "error" }));
  server.connections.push(async (key) => ({ pieces: (await sealedFrames(key, agentEvents)).slice(1), end: "close" }));
  const { events, error } = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.equal(events.length, 3); // the page's "allocated" first
  assert.ok(error instanceof RunError);
});

test("the server's refusals read as words: busy (429) and no sandbox (503)", async () => {
  const server = await FakeExecutionsServer.create();
  server.createAnswer = () => problem(429, "You already have 4 executions allocated or running, the most this server allows at once; wait for one to finish or cancel one.");
  let result = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.ok(result.error instanceof RunError);
  assert.equal(result.error.message, "Polydev is busy: 4 runs are already going. Wait for one to finish.");
  assert.equal(result.error.status, 429);

  server.createAnswer = () => problem(503, "No ready sandbox and the provider's ceiling of 2 is reached.");
  result = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.match((result.error as Error).message, /^No sandbox is available for Claude right now/);

  server.createAnswer = () => { throw new TypeError("fetch failed"); };
  result = await collect(new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay));
  assert.equal((result.error as Error).message, "Cannot reach the Polydev server. Check your connection and try again.");
});

test("cancel posts /cancel; the stream then ends on its own; a 409 (already ended) is not an error", async () => {
  const server = await FakeExecutionsServer.create();
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  server.connections.push(async (key) => {
    const frames = await sealedFrames(key, [...agentEvents.slice(0, 3), { type: "exit", reason: "killed" }]);
    await released;
    return { pieces: frames, end: "close" };
  });
  const run = new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay);
  const collecting = collect(run);
  while (server.job === undefined) await new Promise((r) => setTimeout(r, 1));
  await run.cancel();
  release();
  const { events, error } = await collecting;
  assert.equal(error, undefined);
  assert.deepEqual(events.at(-1), { type: "exit", reason: "killed" });
  assert.ok(server.requests.some((r) => r.path === `/api/executions/${executionId}/cancel`));

  server.cancelStatus = 409;
  await new ExecutionsClient(server.transport).cancel(executionId, "anthropic");
});

test("cancel before the sandbox is allocated cancels it as soon as it is, and never sends the job", async () => {
  const server = await FakeExecutionsServer.create();
  const run = new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay);
  const iterator = run.events();
  const first = iterator.next();
  await run.cancel();
  assert.deepEqual((await first).value, { type: "stopped", state: "cancelled", reason: "cancelled" });
  assert.equal(server.job, undefined);
  assert.deepEqual(server.requests.map((r) => r.method + " " + r.path.replace(executionId, "ID")),
    ["POST /api/executions", "POST /api/executions/ID/cancel"]);
});
