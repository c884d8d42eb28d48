using System.Collections.Concurrent;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Mcp;

/// <summary>
/// <c>polydev mcp</c> as an agent starts it: the real binary over stdio, driven by the MCP SDK's own client, with the
/// user's home and only the environment the test names (never a secret in an argument). Its stderr (the JSON log
/// lines) is kept for the zero-knowledge checks.
/// </summary>
public sealed class McpProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _stderr = new();

    private McpProcess(McpClient client) => Client = client;

    public McpClient Client { get; private set; } = null!;

    /// <summary>Everything the server wrote to stderr so far.</summary>
    public string Logs => string.Join('\n', _stderr);

    /// <param name="environment">Besides POLYDEV_HOME and POLYDEV_SERVER: POLYDEV_SESSION, a bus address, …</param>
    /// <param name="arguments">After <c>mcp</c>, such as <c>--metrics 127.0.0.1:PORT</c>.</param>
    public static async Task<McpProcess> StartAsync(Cli cli, IReadOnlyDictionary<string, string?>? environment = null, bool withSession = true, params string[] arguments)
    {
        var info = PolydevProcess.StartInfo(["mcp", .. arguments], new Dictionary<string, string?>());
        var options = new StdioClientTransportOptions
        {
            Name = "polydev",
            Command = info.FileName,
            Arguments = [.. info.ArgumentList],
            WorkingDirectory = info.WorkingDirectory,
            ShutdownTimeout = TimeSpan.FromSeconds(10),
            EnvironmentVariables = new Dictionary<string, string?>
            {
                ["POLYDEV_HOME"] = cli.Home,
                ["POLYDEV_SERVER"] = cli.Server,
                ["POLYDEV_SESSION"] = withSession ? cli.Session : null,
            },
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            options.EnvironmentVariables[name] = value;
        }

        var process = new McpProcess(null!);
        options.StandardErrorLines = line => process._stderr.Enqueue(line);
        process.Client = await McpClient.CreateAsync(new StdioClientTransport(options));
        return process;
    }

    /// <summary>Calls a tool and returns its result; progress notifications go to <paramref name="progress"/>.</summary>
    public ValueTask<CallToolResult> CallAsync(string tool, Dictionary<string, object?> arguments, IProgress<ModelContextProtocol.ProgressNotificationValue>? progress = null, CancellationToken cancellationToken = default) =>
        Client.CallToolAsync(tool, arguments, progress, cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync() => await Client.DisposeAsync();
}

/// <summary>Reading tool results the way a client does: the text block, and fields of the structured content.</summary>
public static class ToolResults
{
    public static string Text(this CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    public static System.Text.Json.JsonElement Structured(this CallToolResult result) =>
        result.StructuredContent ?? throw new Xunit.Sdk.XunitException($"No structured content in: {result.Text()}");
}

/// <summary>Progress notifications as they arrive, in order (the SDK reports them on its own threads).</summary>
public sealed class ProgressLog : IProgress<ModelContextProtocol.ProgressNotificationValue>
{
    private readonly ConcurrentQueue<ModelContextProtocol.ProgressNotificationValue> _values = new();

    public IReadOnlyList<ModelContextProtocol.ProgressNotificationValue> Values => [.. _values];

    public Action<ModelContextProtocol.ProgressNotificationValue>? OnReport { get; set; }

    public void Report(ModelContextProtocol.ProgressNotificationValue value)
    {
        _values.Enqueue(value);
        OnReport?.Invoke(value);
    }
}
