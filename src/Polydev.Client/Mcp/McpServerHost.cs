using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using ModelContextProtocol.Protocol;
using Polydev.Client.Terminal;
using Prometheus;

namespace Polydev.Client.Mcp;

/// <summary>How <c>polydev mcp</c> serves: over stdio, or Streamable HTTP on a loopback address; metrics where asked.</summary>
/// <param name="Http">Serve Streamable HTTP here (loopback only) instead of stdio.</param>
/// <param name="Metrics">With stdio, serve <c>/metrics</c> here (loopback only); with HTTP, it is on the same listener.</param>
internal sealed record McpServeOptions(string? ExplicitServer, IPEndPoint? Http, IPEndPoint? Metrics);

/// <summary>
/// Builds and runs the MCP server on the official SDK: the tools of <see cref="PolydevTools"/>, the unlock of
/// <see cref="McpAccess"/>, logs as JSON lines on stderr through the one logging path (stdout belongs to the protocol),
/// and Prometheus metrics.
/// </summary>
internal static class McpServerHost
{
    /// <summary>The HTTP transport's bearer token, for clients that configure it: set by the user, else kept in a 0600 file.</summary>
    public const string HttpTokenVariable = "POLYDEV_MCP_HTTP_TOKEN";

    private const int MinHttpTokenLength = 24;

    private const string Instructions =
        "Polydev runs the user's own AI coding CLIs (Claude Code, Codex, Gemini CLI) in isolated sandboxes. " +
        "Call get_perspectives when stuck, before a risky change, or to compare approaches: it asks several CLIs at once and returns their answers side by side. " +
        "Use send_cli_prompt for one CLI, get_cli_status to see what is set up, list_chats and get_chat to read earlier answers.";

    public static async Task<int> RunAsync(McpServeOptions options, Action<ILoggingBuilder, IConfiguration> logging, CancellationToken cancellationToken)
    {
        if (options.Http is { } http)
        {
            return await RunHttpAsync(options, http, logging, cancellationToken);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Configure(builder.Configuration, builder.Logging, builder.Services, options, logging);
        builder.Services.AddMcpServer(Describe).WithStdioServerTransport().WithTools<PolydevTools>();
        using var host = builder.Build();
        using var metricServer = options.Metrics is { } endpoint ? new KestrelMetricServer(endpoint.Address.ToString(), endpoint.Port).Start() : null;
        await host.RunAsync(cancellationToken);
        return ExitCodes.Success;
    }

    private static async Task<int> RunHttpAsync(McpServeOptions options, IPEndPoint endpoint, Action<ILoggingBuilder, IConfiguration> logging, CancellationToken cancellationToken)
    {
        var (token, where) = HttpToken();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        // Not the working directory's appsettings.json (an agent starts this anywhere; a Kestrel section there could add
        // a listener beyond loopback): only POLYDEV_ variables, as for stdio.
        builder.Configuration.Sources.Clear();
        Configure(builder.Configuration, builder.Logging, builder.Services, options, logging);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint));
        builder.Services.AddMcpServer(Describe).WithHttpTransport().WithTools<PolydevTools>();
        await using var app = builder.Build();
        app.Use(new LoopbackBearer(token).InvokeAsync);
        app.MapMcp("/mcp");
        app.MapMetrics("/metrics");
        await app.StartAsync(cancellationToken);
        var bound = app.Urls.FirstOrDefault() ?? $"http://{endpoint}";
        Output.Note($"Polydev MCP over Streamable HTTP at {bound}/mcp; send \"Authorization: Bearer <token>\" with the token {where}.");
        await app.WaitForShutdownAsync(cancellationToken);
        return ExitCodes.Success;
    }

    private static void Configure(IConfigurationManager configuration, ILoggingBuilder logs, IServiceCollection services, McpServeOptions options, Action<ILoggingBuilder, IConfiguration> logging)
    {
        configuration.AddEnvironmentVariables("POLYDEV_");
        logs.ClearProviders();
        logging(logs, configuration);
        // The protocol owns stdout: every log line goes to stderr, where MCP clients collect a server's logs.
        services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        logs.AddFilter("ModelContextProtocol", LogLevel.Warning);
        // No "Press Ctrl+C" chatter: an agent starts this process, nobody reads its console.
        services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new McpMetrics(Prometheus.Metrics.DefaultRegistry));
        services.AddSingleton(_ => new McpAccess(options.ExplicitServer));
    }

    private static void Describe(ModelContextProtocol.Server.McpServerOptions server)
    {
        server.ServerInfo = new Implementation { Name = "polydev", Title = "Polydev", Version = typeof(McpServerHost).Assembly.GetName().Version?.ToString(3) ?? "0" };
        server.ServerInstructions = Instructions;
    }

    /// <summary><c>POLYDEV_MCP_HTTP_TOKEN</c>, else the token kept in <c>mcp-http-token</c> (made once, 0600), and where the user finds it.</summary>
    private static (string Token, string Where) HttpToken()
    {
        if (Secrets.FromEnvironment(HttpTokenVariable) is { } set)
        {
            return set.Trim().Length >= MinHttpTokenLength
                ? (set.Trim(), $"from {HttpTokenVariable}")
                : throw new UsageException($"{HttpTokenVariable} must hold at least {MinHttpTokenLength} characters; a short token guards nothing.");
        }

        var path = Path.Combine(State.ClientHome.Directory, "mcp-http-token");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: >= 32 } kept)
        {
            return (kept, $"in {path}");
        }

        Directory.CreateDirectory(State.ClientHome.Directory);
        var token = "pd_m_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var file = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, Encoding.ASCII, file))
        {
            writer.Write(token);
        }

        return (token, $"in {path}");
    }

    /// <summary>
    /// The HTTP transport's guard: <c>/mcp</c> needs the bearer token (compared in constant time), and a browser page
    /// from anywhere but localhost is refused by its Origin, the DNS-rebinding defence the MCP specification asks of
    /// local servers. <c>/metrics</c> is open on loopback, like the server's.
    /// </summary>
    private sealed class LoopbackBearer(string token)
    {
        private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

        public async Task InvokeAsync(HttpContext context, RequestDelegate next)
        {
            if (!context.Request.Path.StartsWithSegments("/mcp"))
            {
                await next(context);
                return;
            }

            if (context.Request.Headers.Origin.FirstOrDefault(o => !IsLocalOrigin(o)) is { } origin)
            {
                await Problem(context, StatusCodes.Status403Forbidden, "Forbidden origin", $"requests from {origin} are refused: this MCP server answers local clients only.");
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : [];
            if (!CryptographicOperations.FixedTimeEquals(given, _expected))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problem(context, StatusCodes.Status401Unauthorized, "Unauthorized", given.Length == 0
                    ? "send the MCP server's bearer token: Authorization: Bearer <token> (docs/mcp.md, \"Streamable HTTP\")."
                    : "the bearer token is not this MCP server's; see where `polydev mcp --http` said it keeps it.");
                return;
            }

            await next(context);
        }

        private static bool IsLocalOrigin(string? origin) =>
            origin is not null && Uri.TryCreate(origin, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host == "localhost");

        private static Task Problem(HttpContext context, int status, string title, string detail) =>
            Results.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);
    }
}
