using System.Diagnostics;
using System.Globalization;
using System.Net;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests;

/// <summary>Issue 15: the real <c>polydev server</c> runs coturn as its child, and coturn does not outlive it.</summary>
public sealed class EmbeddedTurnTests
{
    [Fact]
    public async Task A_server_killed_without_warning_takes_its_coturn_with_it()
    {
        var port = FreePorts.FindBlock(13);
        string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
        await using var server = await ServerProcess.StartAsync(null, new Dictionary<string, string?>
        {
            ["POLYDEV_LOGIN__TURN__MODE"] = "embedded",
            ["POLYDEV_LOGIN__TURN__LISTENINGPORT"] = Text(port),
            ["POLYDEV_LOGIN__TURN__LISTENINGADDRESSES__0"] = "127.0.0.1",
            ["POLYDEV_LOGIN__TURN__MINRELAYPORT"] = Text(port + 1),
            ["POLYDEV_LOGIN__TURN__MAXRELAYPORT"] = Text(port + 12),
        });
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var pidFile = Path.Combine(server.DataDirectory, "turn", "turnserver.pid");
        await WaitAsync(async () => File.Exists(pidFile) && await Coturn.AcceptsAsync(endpoint), $"coturn did not start:\n{server.Logs}");
        var coturn = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.StartsWith("/usr/bin/turnserver\0-c\0", await File.ReadAllTextAsync($"/proc/{coturn}/cmdline"), StringComparison.Ordinal);

        await server.KillAsync();

        await WaitAsync(() => Task.FromResult(!Running(coturn)), $"coturn (pid {coturn}) still runs after its server was killed");
        Assert.False(await Coturn.AcceptsAsync(endpoint));
    }

    /// <summary>Alive and not a zombie (a container's pid 1 may never reap what it inherits).</summary>
    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string failure)
    {
        for (var waited = Stopwatch.StartNew(); !await condition(); await Task.Delay(50))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), failure);
        }
    }
}
