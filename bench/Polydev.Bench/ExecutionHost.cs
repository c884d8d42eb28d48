using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Jobs;
using Polydev.Crypto;
using Polydev.Server.Executions;
using Polydev.Server.Hosting;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Bench;

/// <summary>
/// The real server in-process with real sandboxes: the local Docker engine, the runtime image of each provider asked
/// for (Claude Code's alone unless told), a sandbox network of the bench's own, and each provider's API stub on
/// loopback reached only through the user's egress port (the same shape as the execution tests). One signed-in user;
/// executions run as a client would run them.
/// </summary>
internal sealed class ExecutionHost : IAsyncDisposable
{
    /// <summary>Each provider and the runtime kind that serves it (its pool's name in settings).</summary>
    public static readonly IReadOnlyDictionary<string, string> Kinds = new Dictionary<string, string>
    {
        [Providers.Anthropic] = "claude",
        [Providers.OpenAI] = "codex",
        [Providers.Google] = "gemini",
    };

    private readonly WebApplication _app;
    private readonly string _data;
    private readonly Guid _userId;

    private ExecutionHost(WebApplication app, string data, IReadOnlyDictionary<string, ProviderStub> stubs, TimedSandboxEngine engine, HttpClient http, Guid userId)
    {
        _app = app;
        _data = data;
        Stubs = stubs;
        Engine = engine;
        Http = http;
        _userId = userId;
    }

    /// <summary>The stub of each provider this host runs.</summary>
    public IReadOnlyDictionary<string, ProviderStub> Stubs { get; }

    /// <summary>The Anthropic stub (every host runs anthropic unless told otherwise).</summary>
    public AnthropicStub Stub => (AnthropicStub)Stubs[Providers.Anthropic];

    public TimedSandboxEngine Engine { get; }

    public HttpClient Http { get; }

    /// <summary>The pool of Claude Code sandboxes.</summary>
    public SandboxPool Pool => PoolOf(Providers.Anthropic);

    /// <summary>The pool of the runtime kind that serves <paramref name="provider"/>.</summary>
    public SandboxPool PoolOf(string provider) => _app.Services.GetRequiredService<PoolManager>().Pool(Kinds[provider])!;

    /// <summary>The runtime image of a provider's CLI.</summary>
    public static string ImageOf(string provider) => $"polydev/runtime-{provider}:latest";

    /// <summary>
    /// The base URL a provider's CLI is given to reach its stub (<c>polydev credentials add --base-url</c>): Codex's
    /// config.toml provider sends {base_url}/responses, so openai's carries the /v1 the other CLIs add themselves.
    /// </summary>
    public string StubBaseUrl(string provider) =>
        Stubs[provider].BaseUrl.ToString().TrimEnd('/') + (provider == Providers.OpenAI ? "/v1" : "");

    public string ServerId => _app.Services.GetRequiredService<PoolManager>().ServerId;

    /// <param name="warmTarget">Ready sandboxes the pool keeps; 0 = every allocation is cold.</param>
    /// <param name="maxSandboxes">Ceiling of live sandboxes.</param>
    /// <param name="maxConcurrent">Executions the one user may have at once.</param>
    /// <param name="network">0–255: the host's own sandbox network, 10.216.N.0/24. Hosts running side by side need
    /// their own: the network's firewall admits exactly one server's egress ports.</param>
    /// <param name="moreSettings">Further server settings (the web bench adds <c>Web:Root</c>; the Nomad bench the engine's).</param>
    /// <param name="engine">The engine to time, from the server's services; null: the Docker engine.</param>
    /// <param name="providers">The providers to serve, each with its runtime kind's pool (<paramref name="warmTarget"/>,
    /// <paramref name="maxSandboxes"/> each) and its stub; the other kinds are off. Null: anthropic alone.</param>
    public static async Task<ExecutionHost> StartAsync(
        string name, int network, int warmTarget, int maxSandboxes, int maxConcurrent, int warmConcurrency = 4, IReadOnlyDictionary<string, string?>? moreSettings = null,
        Func<IServiceProvider, ISandboxEngine>? engine = null, IReadOnlyCollection<string>? providers = null)
    {
        providers ??= [Providers.Anthropic];
        var imageIds = new Dictionary<string, string>();
        using (var docker = new DockerClient())
        {
            foreach (var provider in providers)
            {
                imageIds[provider] = (await docker.InspectImageAsync(ImageOf(provider)))?.Id
                    ?? throw new InvalidOperationException($"The runtime image {ImageOf(provider)} is missing; scripts/bench --only executions builds it (polydev images build).");
            }
        }

        var stubs = new Dictionary<string, ProviderStub>();
        foreach (var provider in providers)
        {
            ProviderStub stub = provider switch
            {
                Providers.Anthropic => new AnthropicStub(),
                Providers.OpenAI => new OpenAiStub(),
                Providers.Google => new GeminiStub(),
                _ => throw new ArgumentOutOfRangeException(nameof(providers), provider, "not a provider"),
            };
            await stub.StartAsync();
            stubs[provider] = stub;
        }

        var data = Directory.CreateTempSubdirectory("polydev-bench-").FullName;
        var firstPort = FreePorts.FindBlock(8);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = data,
            ["Sandboxes:Engine"] = "docker",
            ["Sandboxes:ServerId"] = $"bench-{name}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}",
            ["Sandboxes:Docker:Network:Name"] = NetworkName(network),
            ["Sandboxes:Docker:Network:BridgeName"] = BridgeName(network),
            ["Sandboxes:Docker:Network:Subnet"] = Subnet(network),
            ["Sandboxes:WarmConcurrency"] = warmConcurrency.ToString(CultureInfo.InvariantCulture),
            ["Executions:MaxConcurrentPerUser"] = maxConcurrent.ToString(CultureInfo.InvariantCulture),
            // 128 Claude Code runs share two cores; the default 15 minutes would be close.
            ["Executions:MaxRunTime"] = "00:30:00",
            ["Egress:BindAddress"] = $"10.216.{network}.1",
            ["Egress:FirstPort"] = firstPort.ToString(CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (firstPort + 7).ToString(CultureInfo.InvariantCulture),
            // The stub listens on the host's loopback; only the egress proxy (on the host) connects to it.
            ["Egress:AllowedDestinations:0"] = "127.0.0.1/32",
        };
        foreach (var (provider, kind) in Kinds)
        {
            if (providers.Contains(provider))
            {
                settings[$"Sandboxes:Runtimes:{kind}:WarmTarget"] = warmTarget.ToString(CultureInfo.InvariantCulture);
                settings[$"Sandboxes:Runtimes:{kind}:MaxSandboxes"] = maxSandboxes.ToString(CultureInfo.InvariantCulture);
                // The stub's CA, trusted from the start by a CLI that reads its CAs only then (Gemini CLI, started
                // ahead): the operator's setting for a company gateway's CA, so the bench measures the fast path.
                settings[$"Sandboxes:Runtimes:{kind}:Environment:POLYDEV_AGENT_START_AHEAD_CA"] = stubs[provider].AuthorityPem;
            }
            else
            {
                settings[$"Sandboxes:Runtimes:{kind}:Enabled"] = "false";
            }
        }

        foreach (var (key, value) in moreSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        // Pinned to the image's content id: other work on this machine may retag :latest mid-run, and the pool
        // would then retire its ready sandboxes as stale.
        foreach (var (provider, imageId) in imageIds)
        {
            settings[$"Sandboxes:Runtimes:{Kinds[provider]}:Image"] = imageId;
        }

        TimedSandboxEngine? timed = null;
        var app = PolydevServer.Build(
            settings,
            services =>
            {
                if (engine is null)
                {
                    services.AddSingleton<DockerSandboxEngine>();
                }

                services.AddSingleton<ISandboxEngine>(sp => timed = new TimedSandboxEngine(engine?.Invoke(sp) ?? sp.GetRequiredService<DockerSandboxEngine>()));
            },
            // Warnings and errors only, so a failing sandbox says why without drowning the tables.
            logging => logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
        await PolydevServer.StartAsync(app);
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(20) };
        var (userId, _, token) = await VaultBenchmark.SignUpAsync(http);
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return new ExecutionHost(app, data, stubs, timed ?? app.Services.GetRequiredService<ISandboxEngine>() as TimedSandboxEngine ?? throw new InvalidOperationException("the timed engine was not used"), http, userId);
    }

    /// <summary>
    /// Waits until the pool of every provider this host serves holds <paramref name="ready"/> ready sandboxes and
    /// nothing else is alive (no warm-up, no retirement in flight).
    /// </summary>
    public async Task WaitForQuietPoolAsync(int ready, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var pools = Stubs.Keys.Select(PoolOf).ToList();
        while (pools.Find(p => p.ReadyCount < ready || p.LiveCount != p.ReadyCount || p.WarmingCount > 0) is { } pool)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"The {pool.Runtime} pool did not settle at {ready} ready sandboxes in {timeout.TotalSeconds:0} s (ready {pool.ReadyCount}, live {pool.LiveCount}, warming {pool.WarmingCount}).");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>One execution as a client runs it (of <paramref name="provider"/>, else anthropic), timed from the create request to the end of its stream.</summary>
    public async Task<ExecutionRun> RunAsync(string prompt, CancellationToken cancellationToken = default, string provider = Providers.Anthropic)
    {
        var run = new ExecutionRun { Requested = Stopwatch.GetTimestamp() };
        using var createResponse = await Http.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest(provider), PolydevJson.Options, cancellationToken);
        await EnsureAsync(createResponse, HttpStatusCode.Created);
        var created = (await createResponse.Content.ReadFromJsonAsync<ExecutionCreatedResponse>(PolydevJson.Options, cancellationToken))!;
        run.Created = Stopwatch.GetTimestamp();
        run.Id = created.Id;
        run.Warm = created.Warm;

        var outputKey = RandomNumberGenerator.GetBytes(32);
        var job = new Job
        {
            Version = Job.CurrentVersion,
            Provider = provider,
            Credential = new JobCredential { Type = JobCredential.ApiKey, Value = "bench-key-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) },
            Prompt = prompt,
            Options = new JobOptions { TimeLimitSeconds = 1500 },
            OutputKey = outputKey,
            ProxyUrl = created.ProxyUrl,
            BaseUrl = StubBaseUrl(provider),
            CaBundle = Stubs[provider].AuthorityPem,
        };
        var sealedJob = SealedBox.Seal(Convert.FromBase64String(created.SandboxPublicKey), JsonSerializer.SerializeToUtf8Bytes(job, JobJsonContext.Default.Job), Job.SealedJobPurpose);
        run.Sealed = Stopwatch.GetTimestamp();
        using (var startResponse = await Http.PostAsJsonAsync(ApiRoutes.ExecutionStart(created.Id), new StartExecutionRequest(Convert.ToBase64String(sealedJob)), PolydevJson.Options, cancellationToken))
        {
            await EnsureAsync(startResponse, HttpStatusCode.OK);
        }

        run.StartAnswered = Stopwatch.GetTimestamp();
        using var streamResponse = await Http.GetAsync(ApiRoutes.ExecutionStream(created.Id, 0), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureAsync(streamResponse, HttpStatusCode.OK);
        await using var stream = await streamResponse.Content.ReadAsStreamAsync(cancellationToken);
        using var decryptor = new OutputStreamDecryptor(outputKey, 0);
        while (await OutputStream.ReadFrameAsync(stream, cancellationToken) is { } frame)
        {
            var @event = JsonSerializer.Deserialize(decryptor.Open(frame.Bytes).Plaintext, EventJsonContext.Default.AgentEvent);
            run.EventTypes.Add(@event is ErrorEvent error ? $"error({error.Source})" : @event?.Type ?? "?");
            switch (@event)
            {
                case AcceptedEvent when run.Accepted == 0:
                    run.Accepted = Stopwatch.GetTimestamp();
                    break;
                case TextEvent text when run.FirstText == 0:
                    run.FirstText = Stopwatch.GetTimestamp();
                    run.Text = text.Text;
                    break;
                case ExitEvent exit:
                    run.ExitReason = exit.Reason;
                    run.Timings = exit.Timings;
                    break;
            }
        }

        run.Ended = Stopwatch.GetTimestamp();
        var record = await _app.Services.GetRequiredService<ExecutionStore>().FindAsync(_userId, created.Id, CancellationToken.None);
        run.SandboxId = record?.SandboxId;
        run.Server = run.SandboxId is null ? null : Engine.Run(run.SandboxId);
        return run;
    }

    /// <summary>The execution's state once the server has recorded its end.</summary>
    public async Task<ExecutionResponse> WaitForEndAsync(Guid id, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var execution = (await Http.GetFromJsonAsync<ExecutionResponse>(ApiRoutes.Execution(id), PolydevJson.Options))!;
            if (ExecutionStates.IsFinished(execution.State) || deadline.Elapsed > timeout)
            {
                return execution;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Engine ids of every sandbox this server owns now.</summary>
    public async Task<IReadOnlyList<string>> SandboxContainerIdsAsync() =>
        (await Engine.ListOwnedAsync(ServerId)).Select(s => s.Handle.EngineId).ToList();

    /// <summary>
    /// Removes the sandbox network (and its firewall chain) a Docker engine server of <see cref="StartAsync"/> made
    /// for <paramref name="network"/>, once that server has stopped: the server keeps it when it stops, as a real one does.
    /// </summary>
    public static async Task RemoveNetworkAsync(int network)
    {
        using var docker = new DockerClient();
        await new DockerSandboxNetwork(docker, new DockerSandboxNetworkOptions(NetworkName(network), BridgeName(network), Subnet(network))).RemoveAsync();
    }

    private static string NetworkName(int network) => $"polydev-bench-{network}";

    private static string BridgeName(int network) => $"pd-bench{network}";

    private static string Subnet(int network) => $"10.216.{network}.0/24";

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"expected {expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var stub in Stubs.Values)
        {
            await stub.DisposeAsync();
        }

        Directory.Delete(_data, recursive: true);
    }
}

/// <summary><see cref="Stopwatch"/> timestamps of one execution as the client saw it, and the server's view of its agent run.</summary>
internal sealed class ExecutionRun
{
    public Guid Id { get; set; }

    public bool Warm { get; set; }

    public string? SandboxId { get; set; }

    public long Requested { get; init; }

    public long Created { get; set; }

    public long Sealed { get; set; }

    public long StartAnswered { get; set; }

    public long Accepted { get; set; }

    public long FirstText { get; set; }

    public long Ended { get; set; }

    public string? Text { get; set; }

    public string? ExitReason { get; set; }

    /// <summary>The agent's phase breakdown inside the sandbox (the exit event's timings, issue 19).</summary>
    public JobTimings? Timings { get; set; }

    /// <summary>The type of every event, in order (error events with their source), to say what went wrong.</summary>
    public List<string> EventTypes { get; } = [];

    public TimedSandboxEngine.RunTimestamps? Server { get; set; }

    public static double Milliseconds(long from, long to) => from == 0 || to == 0 ? double.NaN : Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
