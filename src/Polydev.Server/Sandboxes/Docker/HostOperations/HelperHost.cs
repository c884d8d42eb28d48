using System.Net.Sockets;
using Polydev.Server.Egress;
using Polydev.Server.Hosting;
using Polydev.Server.Login.Turn;
using Prometheus;

namespace Polydev.Server.Sandboxes.Docker.HostOperations;

/// <summary>
/// <c>polydev docker-helper</c>: the Docker engine's root work for a server that runs unprivileged (docs/sandboxes.md,
/// "The Docker helper"), served on a Unix socket, the one systemd hands it (polydev-docker-helper.socket) or
/// <c>Sandboxes:Docker:Helper</c>; <c>/metrics</c> and <c>/health</c> on <c>Sandboxes:Docker:HelperUrls</c>
/// (loopback). Configured like the server, from the same files: the sandbox network it admits is the one the server's
/// settings describe.
/// </summary>
public static class HelperHost
{
    public static WebApplication Build(IReadOnlyDictionary<string, string?> overrides)
    {
        var builder = PolydevServer.CreateCompanionBuilder(overrides);
        var configuration = builder.Configuration;
        var docker = configuration.GetSection(DockerEngineOptions.Section).Get<DockerEngineOptions>() ?? new DockerEngineOptions();
        var network = DockerEngineServices.NetworkOptions(
            docker,
            configuration.GetSection(EgressOptions.Section).Get<EgressOptions>() ?? new EgressOptions(),
            configuration.GetSection(TurnOptions.Section).Get<TurnOptions>() ?? new TurnOptions(),
            relayPort: 0);
        network.Validate();
        if (string.IsNullOrWhiteSpace(docker.HelperUrls))
        {
            throw new InvalidOperationException($"{DockerEngineOptions.Section}:HelperUrls is empty: the helper serves /metrics and /health there (default {new DockerEngineOptions().HelperUrls}).");
        }

        builder.WebHost.UseUrls(docker.HelperUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        ObservabilityServices.UsePolydevDefaultSeries();
        builder.Services.AddRouting();
        // Opened when the helper starts serving, so a configuration refused above leaves no socket file behind.
        builder.Services.AddSingleton(_ => HelperSocket.Open(docker.Helper));
        builder.Services.AddSingleton(new HelperMetrics(Metrics.DefaultRegistry, HelperMetrics.Served));
        builder.Services.AddSingleton(sp => new DockerHelper(
            new LocalHostOperations(docker.ScratchRoot), network, sp.GetRequiredService<HelperMetrics>(), sp.GetRequiredService<ILogger<DockerHelper>>()));
        builder.Services.AddHostedService<HelperService>();

        var app = builder.Build();
        app.UseRouting();
        app.MapMetrics("/metrics");
        app.MapGet("/health", () => Results.Ok(new { status = "serving" }));
        return app;
    }
}

/// <summary>The helper's listening socket: systemd's (socket activation) or one it binds itself.</summary>
internal sealed class HelperSocket(Socket socket, string? boundPath) : IDisposable
{
    private const int FirstPassedDescriptor = 3;

    public Socket Socket { get; } = socket;

    /// <summary>
    /// The socket systemd passed (<c>LISTEN_FDS</c>, <c>LISTEN_PID</c>), else a new one bound at <paramref name="path"/>, mode
    /// 0660: the unit that starts the helper this way must give the socket to the server's group itself.
    /// </summary>
    public static HelperSocket Open(string? path)
    {
        if (Environment.GetEnvironmentVariable("LISTEN_PID") == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && int.TryParse(Environment.GetEnvironmentVariable("LISTEN_FDS"), out var count) && count >= 1)
        {
            // Not for children: the helper's iptables, mount and mkfs must not inherit the variables.
            Environment.SetEnvironmentVariable("LISTEN_PID", null);
            Environment.SetEnvironmentVariable("LISTEN_FDS", null);
            Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
            return new HelperSocket(new Socket(new SafeSocketHandle(FirstPassedDescriptor, ownsHandle: true)), boundPath: null);
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException($"no socket to serve: start the helper from polydev-docker-helper.socket, or name one with --socket ({DockerEngineOptions.Section}:Helper).");
        }

        if (File.Exists(path))
        {
            // A socket file outlives its process; one still served refuses the connect.
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException($"{path} is served by another Docker helper.");
            }
            catch (SocketException)
            {
                File.Delete(path);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        }

        socket.Listen(64);
        return new HelperSocket(socket, path);
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (boundPath is not null)
        {
            File.Delete(boundPath);
        }
    }
}

internal sealed class HelperService(DockerHelper helper, HelperSocket socket) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => helper.ServeAsync(socket.Socket, stoppingToken);
}
