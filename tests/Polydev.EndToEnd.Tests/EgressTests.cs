using System.Diagnostics;
using System.Net;
using System.Text;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests;

/// <summary><c>polydev egress status|token</c> against a real server whose proxy reaches a what-is-my-IP stand-in on loopback.</summary>
public sealed class EgressTests
{
    private const string ReportedAddress = "198.51.100.23";

    [Fact]
    public async Task Egress_status_shows_the_port_and_the_address_seen_through_it_and_a_token_works_with_curl()
    {
        using var target = new HttpListener();
        var targetPort = FreePorts.FindBlock(1);
        target.Prefixes.Add($"http://127.0.0.1:{targetPort}/");
        target.Start();
        var serving = ServeAsync(target);

        var first = FreePorts.FindBlock(3);
        await using var server = await ServerProcess.StartAsync(null, new Dictionary<string, string?>
        {
            ["POLYDEV_EGRESS__FIRSTPORT"] = first.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["POLYDEV_EGRESS__LASTPORT"] = (first + 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["POLYDEV_EGRESS__ALLOWEDDESTINATIONS__0"] = "127.0.0.1/32",
            ["POLYDEV_EGRESS__WHATISMYIPURL"] = $"http://127.0.0.1:{targetPort}/ip",
        });
        using var cli = new Cli(server.Url);
        await cli.SignupAsync($"egress-{Guid.NewGuid():N}@example.com", "egress test password");

        var json = (await cli.RunAsync("egress", "status", "--json")).Succeeded().Json();
        Assert.Equal(first, json.GetProperty("egress").GetProperty("port").GetInt32());
        Assert.Equal(ReportedAddress, json.GetProperty("check").GetProperty("address").GetString());

        var human = (await cli.RunAsync("egress", "status")).Succeeded().Stdout;
        Assert.Contains($"127.0.0.1:{first} (direct)", human, StringComparison.Ordinal);
        Assert.Contains(ReportedAddress, human, StringComparison.Ordinal);

        var proxyUrl = (await cli.RunAsync("egress", "token", "--seconds", "120")).Succeeded().Stdout.Trim();
        Assert.StartsWith("http://polydev:pd_p_", proxyUrl, StringComparison.Ordinal);
        var curl = await RunCurlAsync("-sS", "--max-time", "10", "-x", proxyUrl, $"http://127.0.0.1:{targetPort}/ip");
        Assert.Contains(ReportedAddress, curl, StringComparison.Ordinal);

        await server.StopAsync();
        Assert.DoesNotContain(proxyUrl["http://polydev:".Length..proxyUrl.LastIndexOf('@')], server.Logs, StringComparison.Ordinal);
        target.Stop();
        await serving;
    }

    private static async Task ServeAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var body = Encoding.UTF8.GetBytes($"{{\"proxy\":{{\"ip\":\"{ReportedAddress}\"}}}}");
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static async Task<string> RunCurlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var curl = Process.Start(start)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        var error = await curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync();
        Assert.True(curl.ExitCode == 0, $"curl exited {curl.ExitCode}: {error}");
        return output;
    }
}
