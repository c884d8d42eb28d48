using Polydev.Testing.ProviderStubs;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// One provider as a test drives it: its runtime image, a local HTTPS stub of its API, and the base URL its CLI
/// must be given to reach that stub (each CLI puts the API's path prefix in a different place).
/// </summary>
public sealed class ProviderUnderTest : IAsyncDisposable
{
    private ProviderUnderTest(string name, ProviderStub stub, string baseUrl)
    {
        Name = name;
        Stub = stub;
        BaseUrl = baseUrl;
    }

    public string Name { get; }

    public ProviderStub Stub { get; }

    /// <summary>What <c>polydev run --base-url</c> gets.</summary>
    public string BaseUrl { get; }

    public string Image => $"polydev/runtime-{Name}:latest";

    /// <summary>The request path that shows the CLI has reached the model call (the job is running).</summary>
    public string ModelCallPath => Name switch
    {
        "anthropic" => "/v1/messages",
        "openai" => "/v1/responses",
        _ => "/v1beta/models/",
    };

    public static async Task<ProviderUnderTest> StartAsync(string name)
    {
        ProviderStub stub = name switch
        {
            "anthropic" => new AnthropicStub(),
            "openai" => new OpenAiStub(),
            "google" => new GeminiStub(),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a provider"),
        };
        await stub.StartAsync();
        var root = stub.BaseUrl.ToString().TrimEnd('/');
        // Codex's config.toml provider sends {base_url}/responses, so its base URL carries the /v1 the others add themselves.
        var baseUrl = name == "openai" ? root + "/v1" : root;
        var provider = new ProviderUnderTest(name, stub, baseUrl);
        stub.Answer = $"The {name} stub answers {Guid.NewGuid():N}.";
        await Docker.RequireImageAsync(provider.Image);
        return provider;
    }

    /// <summary>The arguments of <c>polydev run</c> that point the CLI at the stub and make it trust the stub's CA.</summary>
    public string[] RunArguments(params string[] more) =>
        ["run", "--provider", Name, "--base-url", BaseUrl, "--ca-file", Stub.AuthorityPemPath, .. more];

    /// <summary>Waits until the CLI in a sandbox has called the model (the stub saw the request).</summary>
    public async Task WaitForModelCallAsync(TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Stub.Requests.Any(r => r.PathAndQuery.StartsWith(ModelCallPath, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The {Name} CLI never called the stub's model within {timeout.TotalSeconds} s.\n{diagnostics()}");
            await Task.Delay(100);
        }
    }

    public ValueTask DisposeAsync() => Stub.DisposeAsync();
}
