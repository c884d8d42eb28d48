using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Crypto;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Server.Tests.Executions;

/// <summary>
/// A server that runs real sandboxes: the local Docker engine, the real Claude Code runtime image (built by
/// scripts/test with <c>polydev images build</c>), a sandbox network of its own, and a local Anthropic API stub
/// reached only through the user's egress port. Other providers' pools and the login pool are off to save the machine.
/// </summary>
public sealed class ExecutionHarness : IAsyncDisposable
{
    public const string Image = "polydev/runtime-anthropic:latest";

    private ExecutionHarness(RunningServer server, AnthropicStub stub, TestAccount account, string serverId)
    {
        Server = server;
        Stub = stub;
        Account = account;
        ServerId = serverId;
        Client = server.CreateClient(account.Token);
    }

    public RunningServer Server { get; }

    public AnthropicStub Stub { get; }

    public TestAccount Account { get; }

    public string ServerId { get; }

    /// <summary>Signed in as <see cref="Account"/>.</summary>
    public HttpClient Client { get; }

    public PoolManager Pools => Server.Services.GetRequiredService<PoolManager>();

    public static async Task<ExecutionHarness> StartAsync(
        IDictionary<string, string?>? settings = null, string? serverId = null, string? dataDirectory = null, Action<IServiceCollection>? configureServices = null)
    {
        await RequireImageAsync();
        var stub = new AnthropicStub();
        await stub.StartAsync();
        serverId ??= "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Sandboxes:Engine"] = "docker",
            ["Sandboxes:ServerId"] = serverId,
            ["Sandboxes:Docker:Network:Name"] = "polydev-test-exec",
            ["Sandboxes:Docker:Network:BridgeName"] = "pd-test-exec",
            ["Sandboxes:Docker:Network:Subnet"] = "10.214.0.0/24",
            ["Sandboxes:HealthInterval"] = "00:00:01",
            ["Sandboxes:Runtimes:claude:WarmTarget"] = "1",
            ["Sandboxes:Runtimes:claude:MaxSandboxes"] = "4",
            ["Sandboxes:Runtimes:codex:Enabled"] = "false",
            ["Sandboxes:Runtimes:gemini:Enabled"] = "false",
            // The login kind warms a browser sandbox (1 CPU) whenever polydev/login exists; these tests lease none.
            ["Sandboxes:Runtimes:login:Enabled"] = "false",
            ["Egress:BindAddress"] = "10.214.0.1",
            // The stub listens on the host's loopback; only the egress proxy (on the host) connects to it.
            ["Egress:AllowedDestinations:0"] = "127.0.0.1/32",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var server = await RunningServer.StartAsync(
            RunningServer.Sqlite, dataDirectory ?? Directory.CreateTempSubdirectory("polydev-test-").FullName, null, overrides, configureServices);
        var account = await TestAccount.SignUpAsync(server);
        return new ExecutionHarness(server, stub, account, serverId);
    }

    /// <summary>Fails with what to run when the runtime image is missing.</summary>
    public static async Task RequireImageAsync()
    {
        using var docker = new DockerClient();
        if (await docker.InspectImageAsync(Image) is null)
        {
            Assert.Fail($"The runtime image {Image} is missing; scripts/test builds it (polydev images build).");
        }
    }

    /// <summary>The runtime kind that serves anthropic executions.</summary>
    public const string Kind = "claude";

    /// <summary>Waits until the claude pool has a ready sandbox.</summary>
    public async Task WaitForWarmAsync(int ready = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (Pools.Pool(Kind)!.ReadyCount < ready)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The claude pool did not reach {ready} ready sandboxes.\n{Server.Logs.Text}");
            await Task.Delay(100);
        }
    }

    public async Task<ExecutionCreatedResponse> CreateAsync(string provider = Providers.Anthropic)
    {
        var response = await Client.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest(provider), PolydevJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.ReadAsync<ExecutionCreatedResponse>())!;
    }

    /// <summary>The job a client would seal: the credential and prompt given, the stub as base URL, its CA trusted.</summary>
    public JsonObject Job(ExecutionCreatedResponse created, string apiKey, string prompt, byte[] outputKey) => new()
    {
        ["version"] = 1,
        ["provider"] = Providers.Anthropic,
        ["credential"] = new JsonObject { ["type"] = "api_key", ["value"] = apiKey },
        ["prompt"] = prompt,
        ["options"] = new JsonObject { ["timeLimitSeconds"] = 120 },
        ["outputKey"] = Convert.ToBase64String(outputKey),
        ["proxyUrl"] = created.ProxyUrl,
        ["baseUrl"] = Stub.BaseUrl.ToString().TrimEnd('/'),
        ["caBundle"] = Stub.AuthorityPem,
    };

    public async Task<HttpResponseMessage> StartAsync(ExecutionCreatedResponse created, JsonObject job)
    {
        var sealedJob = SealedBox.Seal(Convert.FromBase64String(created.SandboxPublicKey), Encoding.UTF8.GetBytes(job.ToJsonString()), "execution.job");
        return await Client.PostAsJsonAsync(ApiRoutes.ExecutionStart(created.Id), new StartExecutionRequest(Convert.ToBase64String(sealedJob)), PolydevJson.Options);
    }

    /// <summary>Every frame from <paramref name="from"/> on, read until the server ends the stream.</summary>
    public async Task<List<byte[]>> ReadFramesAsync(Guid id, long from = 0, CancellationToken cancellationToken = default)
    {
        using var response = await Client.GetAsync(ApiRoutes.ExecutionStream(id, from), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ExecutionStreamFormat.MediaType, response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var frames = new List<byte[]>();
        while (await OutputStream.ReadFrameAsync(stream, cancellationToken) is { } frame)
        {
            frames.Add(frame.Bytes);
        }

        return frames;
    }

    public static List<JsonObject> Open(IEnumerable<byte[]> frames, byte[] outputKey, long from = 0)
    {
        using var decryptor = new OutputStreamDecryptor(outputKey, from);
        return frames.Select(f => JsonNode.Parse(decryptor.Open(f).Plaintext)!.AsObject()).ToList();
    }

    public async Task<ExecutionResponse> GetAsync(Guid id) => (await Client.GetFromJsonAsync<ExecutionResponse>(ApiRoutes.Execution(id), PolydevJson.Options))!;

    /// <summary>Polls until the execution has ended.</summary>
    public async Task<ExecutionResponse> WaitForEndAsync(Guid id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var execution = await GetAsync(id);
            if (ExecutionStates.IsFinished(execution.State))
            {
                return execution;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Execution {id} is still {execution.State}.\n{Server.Logs.Text}");
            await Task.Delay(200);
        }
    }

    public static string Secret(string label) => $"{label}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Stub.DisposeAsync();
    }
}
