using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Agent.Tests.RealCli;

/// <summary>
/// Issue 14, "Honest failures": each of the three pinned CLIs, run by the real agent through a real Squid, meets a
/// provider that rejects the key, rate-limits, is down, and an egress that refuses the tunnel; the exit event says
/// which (<c>failure.kind</c>, with the status that decided it), and a rejected key or a refused egress ends the run
/// within seconds instead of after the CLI's retries.
/// </summary>
public sealed class FailureTests
{
    private const string ProxyUser = "polydev";
    private const string ProxyToken = "egress-token";

    public static TheoryData<string, string, string, int?> Cases => new()
    {
        { "anthropic", "401", "credential_rejected", 401 },
        { "openai", "401", "credential_rejected", 401 },
        { "google", "401", "credential_rejected", 401 },
        { "anthropic", "429", "rate_limited", 429 },
        { "openai", "429", "rate_limited", 429 },
        { "google", "429", "rate_limited", 429 },
        { "anthropic", "down", "provider_unreachable", 503 },
        { "openai", "down", "provider_unreachable", 503 },
        { "google", "down", "provider_unreachable", 503 },
        { "anthropic", "egress token refused", "egress_refused", 407 },
        { "openai", "egress token refused", "egress_refused", 407 },
        { "google", "egress token refused", "egress_refused", 407 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_failure_is_classified_from_what_the_agent_saw(string provider, string scenario, string kind, int? status)
    {
        ProviderStub stub = provider switch { "anthropic" => new AnthropicStub(), "openai" => new OpenAiStub(), _ => new GeminiStub() };
        await using var _ = stub;
        await stub.StartAsync();
        if (int.TryParse(scenario, out int refusal))
        {
            switch (stub)
            {
                case AnthropicStub a: a.FailWithStatus = refusal; break;
                case OpenAiStub o: o.FailWithStatus = refusal; break;
                case GeminiStub g: g.FailWithStatus = refusal; break;
            }
        }

        string baseUrl = provider switch
        {
            "anthropic" => stub.BaseUrl.AbsoluteUri.TrimEnd('/'),
            "openai" => stub.BaseUrl + "v1",
            _ => stub.BaseUrl.GetLeftPart(UriPartial.Authority),
        };
        string authority = stub.AuthorityPem;
        if (scenario == "down")
        {
            await stub.DisposeAsync(); // nothing listens where the CLI is sent: the proxy cannot connect (Squid: 503)
        }

        await using SquidProxy squid = await SquidProxy.StartAsync(ProxyUser, ProxyToken);
        string token = scenario == "egress token refused" ? "a-revoked-token" : ProxyToken;
        using var sandbox = new AgentHarness();
        sandbox.Environment[provider switch { "anthropic" => "POLYDEV_AGENT_CLAUDE", "openai" => "POLYDEV_AGENT_CODEX", _ => "POLYDEV_AGENT_GEMINI" }] = PinnedClis.Executable(provider);
        sandbox.Environment["PATH"] = PinnedClis.NodeDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        // Gemini CLI retries a 429 with backoff for minutes: the time limit ends it, and the failure still says why.
        JsonObject job = AgentHarness.Job(provider, "api_key", AgentHarness.Secret("sk-failure"), "Say hello.", outputKey,
            $"http://{ProxyUser}:{token}@127.0.0.1:{squid.Port}", timeLimitSeconds: 20, caBundle: authority,
            model: provider switch { "anthropic" => "claude-sonnet-4-5", "google" => "gemini-2.5-flash", _ => null });
        job["baseUrl"] = baseUrl;

        AgentResult result = await sandbox.RunAsync(job);
        DateTimeOffset ended = DateTimeOffset.UtcNow;
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);

        JsonObject exit = events[^1];
        Assert.True("exit" == (string?)exit["type"], string.Join('\n', events.Select(e => e.ToJsonString())));
        JsonObject failure = exit["failure"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no failure in {exit.ToJsonString()}");
        Assert.Equal(kind, (string?)failure["kind"]);
        Assert.Equal(status, (int?)failure["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)failure["detail"]));
        if (kind == "credential_rejected")
        {
            // Ended on the provider's first refusal the agent saw, not after the CLI's retries ran out.
            Assert.True(ended - stub.FirstAnsweredAt!.Value < TimeSpan.FromSeconds(5), $"{(ended - stub.FirstAnsweredAt!.Value).TotalSeconds:F1} s after the first 401");
        }

        if (kind is "egress_refused" or "provider_unreachable")
        {
            Assert.Empty(stub.Requests);
            // Ended on the first refused connection, not after the CLI's retries: measured from the CLI's first byte
            // towards egress (the agent's own timings), since the CLI's start-up alone can take 10 s on a loaded host.
            JsonObject timings = exit["timings"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no timings in {exit.ToJsonString()}");
            long firstAttempt = (long?)timings["egressFirstByteMs"] ?? throw new Xunit.Sdk.XunitException($"no egress attempt in {timings.ToJsonString()}");
            long end = (long?)timings["endMs"] ?? throw new Xunit.Sdk.XunitException($"no end in {timings.ToJsonString()}");
            Assert.True(end - firstAttempt < 5_000, $"ended {end - firstAttempt} ms after the CLI's first connection ({timings.ToJsonString()})");
        }
    }
}
