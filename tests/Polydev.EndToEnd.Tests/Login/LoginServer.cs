using System.Globalization;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Web;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>
/// A real server for login sessions: the Docker engine with a warm login sandbox (the real login image), the embedded
/// coturn on a port of its own (viewers reach it on 127.0.0.1, sandboxes on the test network's gateway), the built web
/// client. Every other pool is off.
/// </summary>
internal static class LoginServer
{
    /// <param name="providers">Providers whose runtime kinds get a warm pool too (a run after connecting an account).</param>
    public static Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string?>? moreSettings = null, IReadOnlyCollection<string>? providers = null)
    {
        var turnPort = ServerProcess.FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["POLYDEV_WEB__ROOT"] = BuiltWebClient.Directory,
            ["POLYDEV_SANDBOXES__RUNTIMES__login__ENABLED"] = "true",
            ["POLYDEV_SANDBOXES__RUNTIMES__login__WARMTARGET"] = "1",
            ["POLYDEV_SANDBOXES__RUNTIMES__login__MAXSANDBOXES"] = "3",
            ["POLYDEV_LOGIN__TURN__MODE"] = "embedded",
            ["POLYDEV_LOGIN__TURN__LISTENINGPORT"] = turnPort.ToString(CultureInfo.InvariantCulture),
            ["POLYDEV_LOGIN__TURN__PUBLICHOST"] = "127.0.0.1",
        };
        foreach (var (name, value) in moreSettings ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        return SandboxedServer.StartAsync(providers ?? [], SandboxedServer.NewServerId(), ServerProcess.FreePort(), moreSettings: settings);
    }

    /// <summary>Waits until the login pool has a warm sandbox (its Chromium and stream start only when a viewer opens it).</summary>
    public static Task WaitForWarmAsync(ServerProcess server) => SandboxedServer.WaitForKindReadyAsync(server, "login", TimeSpan.FromSeconds(120));
}
