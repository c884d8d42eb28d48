using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Server.Tests.Sandboxes.Conformance;
using Polydev.Testing;
using Polydev.Testing.Nomad;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// The stand-in cluster's own API, spoken as Nomad's clients speak it (HttpClient and a WebSocket, no engine code):
/// blocking queries, exec framing, ACL refusals, placement failures and node loss, each against real containers.
/// </summary>
[Collection(NomadClusterCollection.Name)]
public sealed class NomadStandInTests : IAsyncLifetime
{
    private const string Token = "standin-tests-management";

    private NomadStandIn _nomad = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await DockerEngineUnderTest.EnsureImageAsync();
        _nomad = await NomadStandIn.StartAsync(new NomadStandInOptions
        {
            ManagementToken = Token,
            Tokens = [NomadStandInToken.ReadOnly("standin-tests-read-only")],
        });
        _http = new HttpClient { BaseAddress = _nomad.Address, Timeout = TimeSpan.FromMinutes(1) };
        _http.DefaultRequestHeaders.Add("X-Nomad-Token", Token);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _nomad.DisposeAsync();
    }

    [Fact]
    public async Task A_blocking_query_answers_at_once_for_an_old_index_and_waits_for_a_new_one()
    {
        var (_, _, index) = await GetAsync("/v1/jobs");

        var clock = Stopwatch.StartNew();
        var old = await GetAsync($"/v1/jobs?index={index - 1}&wait=5s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"an old index took {clock.Elapsed}");
        Assert.Equal(index, old.Index);

        clock.Restart();
        var unchanged = await GetAsync($"/v1/jobs?index={index}&wait=1s");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"the current index answered after {clock.Elapsed}");
        Assert.Equal(index, unchanged.Index);

        clock.Restart();
        var waiting = GetAsync($"/v1/jobs?index={index}&wait=30s");
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        var registered = await RegisterAsync(Job("blocking", ["/bin/sh", "-c", "exec sleep 600"]));
        var woke = await waiting;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the register woke the query after {clock.Elapsed}");
        Assert.True(woke.Index > index);
        Assert.Contains("\"ID\":\"blocking\"", woke.Body, StringComparison.Ordinal);
        Assert.True(woke.Index >= (ulong)registered["EvalCreateIndex"]!, $"index {woke.Index} before the register's {registered["EvalCreateIndex"]}");
        Assert.Contains(_nomad.Events, e => e.Path == "/v1/jobs" && e.Query.Contains($"index={index}", StringComparison.Ordinal) && e.HasToken);
    }

    [Fact]
    public async Task Exec_carries_stdin_stdout_and_stderr_in_nomads_frames_and_ends_with_the_exit_code()
    {
        await RegisterAsync(Job("exec", ["/bin/sh", "-c", "exec sleep 600"]));
        var alloc = await WaitForAllocationAsync("exec", a => (string?)a["ClientStatus"] == "running");

        using var socket = await ExecAsync((string)alloc["ID"]!, ["/bin/sh", "-c", "cat; echo to-stderr >&2; exit 3"], Token);
        await SendTextAsync(socket, new JsonObject { ["stdin"] = new JsonObject { ["data"] = Convert.ToBase64String("hello nomad\n"u8.ToArray()) } });
        await SendTextAsync(socket, new JsonObject());
        await SendTextAsync(socket, new JsonObject { ["stdin"] = new JsonObject { ["close"] = true } });

        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var closed = new List<string>();
        int? exitCode = null;
        while (true)
        {
            var frame = await ReceiveFrameAsync(socket);
            if (frame is null)
            {
                break;
            }

            if (frame["stdout"] is JsonObject o)
            {
                Write(stdout, o, "stdout", closed);
            }
            else if (frame["stderr"] is JsonObject e)
            {
                Write(stderr, e, "stderr", closed);
            }
            else if ((bool?)frame["exited"] == true)
            {
                exitCode = (int)frame["result"]!["exit_code"]!;
            }
        }

        Assert.Equal("hello nomad\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("to-stderr\n", Encoding.UTF8.GetString(stderr.ToArray()));
        Assert.Equal(["stderr", "stdout"], closed.Order());
        Assert.Equal(3, exitCode);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task Requests_without_a_token_or_with_a_wrong_or_too_weak_one_get_403()
    {
        using var anonymous = new HttpClient { BaseAddress = _nomad.Address };
        using var wrong = new HttpClient { BaseAddress = _nomad.Address };
        wrong.DefaultRequestHeaders.Add("X-Nomad-Token", "not-a-token");
        using var readOnly = new HttpClient { BaseAddress = _nomad.Address };
        readOnly.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "standin-tests-read-only");

        using var none = await anonymous.GetAsync("/v1/jobs");
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        Assert.Equal("Permission denied", await none.Content.ReadAsStringAsync());

        using var unknown = await wrong.GetAsync("/v1/jobs");
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
        Assert.Equal("ACL token not found", await unknown.Content.ReadAsStringAsync());

        using var read = await readOnly.GetAsync("/v1/jobs");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var write = await readOnly.PostAsync("/v1/jobs", Json(Job("refused", ["/bin/true"])));
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("Permission denied", await write.Content.ReadAsStringAsync());
        using var list = await _http.GetAsync("/v1/jobs");
        Assert.Equal("[]", await list.Content.ReadAsStringAsync());
        Assert.Contains(_nomad.Events, e => e.Path == "/v1/jobs" && !e.HasToken && e.Status == 403);
    }

    [Fact]
    public async Task A_job_that_fits_no_node_stays_pending_with_an_evaluation_naming_the_exhausted_dimension()
    {
        var registered = await RegisterAsync(Job("too-big", ["/bin/true"], memoryMb: 100_000));

        var (_, body, _) = await GetAsync($"/v1/evaluation/{registered["EvalID"]}?index={registered["EvalCreateIndex"]}&wait=20s");
        var eval = JsonNode.Parse(body)!;
        Assert.Equal("complete", (string?)eval["Status"]);
        var metric = eval["FailedTGAllocs"]!["sandbox"]!;
        Assert.Equal(2, (int)metric["NodesEvaluated"]!);
        Assert.Equal(2, (int)metric["NodesExhausted"]!);
        Assert.Equal(2, (int)metric["DimensionExhausted"]!["memory"]!);
        Assert.Equal(2, (int)metric["NodesAvailable"]!["dc1"]!);

        var blocked = JsonNode.Parse((await GetAsync($"/v1/evaluation/{eval["BlockedEval"]}")).Body)!;
        Assert.Equal("blocked", (string?)blocked["Status"]);
        var job = JsonNode.Parse((await GetAsync("/v1/job/too-big")).Body)!;
        Assert.Equal("pending", (string?)job["Status"]);
        Assert.Equal("[]", (await GetAsync("/v1/job/too-big/allocations")).Body);
    }

    [Fact]
    public async Task A_lost_node_marks_its_allocations_lost_kills_their_containers_and_they_are_replaced_elsewhere()
    {
        await RegisterAsync(Job("lose", ["/bin/sh", "-c", "exec sleep 600"]));
        var alloc = await WaitForAllocationAsync("lose", a => (string?)a["ClientStatus"] == "running");
        var id = (string)alloc["ID"]!;
        var node = (string)alloc["NodeName"]!;
        Assert.Single(await _nomad.ContainersAsync(id));

        await _nomad.LoseNodeAsync(node);

        Assert.Empty(await _nomad.ContainersAsync(id));
        var lost = JsonNode.Parse((await GetAsync($"/v1/allocation/{id}")).Body)!;
        Assert.Equal("lost", (string?)lost["ClientStatus"]);
        Assert.Equal("stop", (string?)lost["DesiredStatus"]);
        Assert.Equal("down", _nomad.Nodes.Single(n => n.Name == node).Status);
        var replacement = await WaitForAllocationAsync("lose", a => (string?)a["PreviousAllocation"] == id && (string?)a["ClientStatus"] == "running");
        Assert.NotEqual(node, (string?)replacement["NodeName"]);

        await _nomad.RestoreNodeAsync(node);
        Assert.Equal("ready", _nomad.Nodes.Single(n => n.Name == node).Status);
        using var purge = await _http.DeleteAsync("/v1/job/lose?purge=true");
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await _nomad.TracesAsync("lose")).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Empty(await _nomad.TracesAsync("lose"));
    }

    private static JsonObject Job(string id, string[] command, int memoryMb = 64) => new()
    {
        ["Job"] = new JsonObject
        {
            ["ID"] = id,
            ["Type"] = "batch",
            ["Datacenters"] = new JsonArray("dc1"),
            ["TaskGroups"] = new JsonArray(new JsonObject
            {
                ["Name"] = "sandbox",
                ["Count"] = 1,
                ["RestartPolicy"] = new JsonObject { ["Attempts"] = 0, ["Mode"] = "fail" },
                ["ReschedulePolicy"] = new JsonObject { ["Attempts"] = 0, ["Unlimited"] = false },
                ["Tasks"] = new JsonArray(new JsonObject
                {
                    ["Name"] = "sandbox",
                    ["Driver"] = "docker",
                    ["User"] = "2345:2346",
                    ["Config"] = new JsonObject
                    {
                        ["image"] = SandboxTestImage.Reference,
                        ["command"] = command[0],
                        ["args"] = new JsonArray([.. command.Skip(1).Select(a => (JsonNode)a)]),
                        ["network_mode"] = "none",
                        ["readonly_rootfs"] = true,
                        ["init"] = true,
                        ["logging"] = new JsonObject { ["type"] = "none" },
                    },
                    ["Resources"] = new JsonObject { ["CPU"] = 100, ["MemoryMB"] = memoryMb },
                    ["KillTimeout"] = 1_000_000_000L,
                }),
            }),
        },
    };

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<JsonObject> RegisterAsync(JsonObject job)
    {
        using var response = await _http.PostAsync("/v1/jobs", Json(job));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private async Task<(int Status, string Body, ulong Index)> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var index = response.Headers.TryGetValues("X-Nomad-Index", out var values) ? ulong.Parse(values.First()) : 0;
        Assert.Equal("true", response.Headers.GetValues("X-Nomad-KnownLeader").Single());
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), index);
    }

    /// <summary>Follows the job's allocations with blocking queries until one matches.</summary>
    private async Task<JsonObject> WaitForAllocationAsync(string jobId, Func<JsonObject, bool> match)
    {
        ulong index = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var (_, body, next) = await GetAsync($"/v1/job/{jobId}/allocations?index={index}&wait=10s");
            index = next;
            foreach (var stub in JsonNode.Parse(body)!.AsArray().OfType<JsonObject>())
            {
                var full = JsonNode.Parse((await GetAsync($"/v1/allocation/{stub["ID"]}")).Body)!.AsObject();
                if (match(full))
                {
                    return full;
                }
            }
        }

        throw new TimeoutException($"no allocation of {jobId} matched");
    }

    private async Task<ClientWebSocket> ExecAsync(string allocId, string[] command, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Nomad-Token", token);
        var commandJson = new JsonArray([.. command.Select(c => (JsonNode)c)]).ToJsonString();
        var uri = new UriBuilder(new Uri(_nomad.Address, $"/v1/client/allocation/{allocId}/exec?task=sandbox&tty=false&command={Uri.EscapeDataString(commandJson)}"))
        {
            Scheme = "ws",
        }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return socket;
    }

    private static Task SendTextAsync(WebSocket socket, JsonObject frame) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonNode?> ReceiveFrameAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonNode.Parse(message.ToArray());
    }

    private static void Write(MemoryStream target, JsonObject operation, string name, List<string> closed)
    {
        if ((string?)operation["data"] is { } data)
        {
            target.Write(Convert.FromBase64String(data));
        }

        if ((bool?)operation["close"] == true)
        {
            closed.Add(name);
        }
    }
}
