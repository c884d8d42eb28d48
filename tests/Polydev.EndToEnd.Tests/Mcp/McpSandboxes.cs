using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Mcp;

/// <summary>
/// What the sandboxed MCP tests share: a real server with a warm pool for each of the three runtime kinds on the
/// Docker engine, a local HTTPS stub of each provider's API, and one user with an API key for each (stored with the
/// stub's endpoint, as a company gateway would be). Started once for the class; each test waits for full pools.
/// </summary>
public sealed class McpSandboxes : IAsyncLifetime
{
    public static readonly string[] Names = ["anthropic", "openai", "google"];

    public Dictionary<string, ProviderUnderTest> Providers { get; } = [];

    public ServerProcess Server { get; private set; } = null!;

    public string ServerId { get; } = SandboxedServer.NewServerId();

    public Cli Cli { get; private set; } = null!;

    public string Password { get; } = Needles.Canary("password");

    public Dictionary<string, string> ApiKeys { get; } = [];

    public async Task InitializeAsync()
    {
        foreach (var name in Names)
        {
            Providers[name] = await ProviderUnderTest.StartAsync(name);
        }

        Server = await SandboxedServer.StartAsync(Names, ServerId, ServerProcess.FreePort());
        Cli = new Cli(Server.Url);
        await Cli.SignupAsync($"mcp-{Guid.NewGuid():N}@example.com", Password);
        foreach (var (name, provider) in Providers)
        {
            ApiKeys[name] = Needles.Canary($"{name}-key");
            (await Cli.RunAsync(["credentials", "add", name, "--base-url", provider.BaseUrl, "--ca-file", provider.Stub.AuthorityPemPath], stdin: ApiKeys[name])).Succeeded();
        }
    }

    /// <summary>Every pool has a ready sandbox again (after the previous test's runs and their refills).</summary>
    public async Task WaitForWarmPoolsAsync()
    {
        foreach (var name in Names)
        {
            await SandboxedServer.WaitForReadyAsync(Server, name, TimeSpan.FromSeconds(90));
        }
    }

    public async Task DisposeAsync()
    {
        Cli.Dispose();
        await Server.DisposeAsync();
        foreach (var provider in Providers.Values)
        {
            await provider.DisposeAsync();
        }
    }
}
