namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// The drop-ins of deploy/systemd on a real systemd (tests/Polydev.Operations.Tests/Systemd loads them offline): with
/// <c>scripts/deploy --monitoring</c>, Debian's Prometheus, node exporter and Alertmanager run hardened on
/// deploy/monitoring and scrape the server and the host; Debian's coturn runs hardened, as an operator who runs it
/// instead of the embedded one would.
/// </summary>
public sealed class DeployedUnitsTests
{
    [Fact]
    public async Task Monitoring_and_coturn_run_under_their_drop_ins()
    {
        await using var target = await DeployTarget.StartAsync();
        await DeployFlow.FirstDeployAsync(target, "--monitoring");

        foreach (var unit in new[] { "prometheus", "prometheus-node-exporter", "prometheus-alertmanager" })
        {
            Assert.Equal("active", (await target.ExecAsync("sh", "-c", $"systemctl is-active {unit}.service || true")).Trim());
            Assert.Contains("/polydev.conf", await target.ExecAsync("systemctl", "show", "-P", "DropInPaths", $"{unit}.service"), StringComparison.Ordinal);
        }

        // Prometheus, on the files scripts/deploy installed, scrapes the server and the node exporter: both up.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string targets;
        do
        {
            await Task.Delay(2000);
            targets = await target.ExecAsync("curl", "-fsS", "http://127.0.0.1:9090/api/v1/targets?state=active");
        }
        while (!(targets.Contains("\"job\":\"polydev\"", StringComparison.Ordinal) && UpCount(targets) >= 2) && DateTime.UtcNow < deadline);
        Assert.Contains("\"scrapeUrl\":\"http://127.0.0.1:8080/metrics\"", targets, StringComparison.Ordinal);
        Assert.Contains("\"scrapeUrl\":\"http://127.0.0.1:9100/metrics\"", targets, StringComparison.Ordinal);
        Assert.True(UpCount(targets) >= 2, targets);
        Assert.Contains("127.0.0.1:9093", await target.ExecAsync("sh", "-c", "systemctl show -P ExecStart prometheus-alertmanager.service"), StringComparison.Ordinal);

        // coturn: the embedded one stops with the server, Debian's service starts hardened and listens on 3478.
        await target.ExecAsync("systemctl", "stop", "polydev.service");
        await target.ExecAsync("systemctl", "start", "coturn.service");
        Assert.Equal("active", (await target.ExecAsync("sh", "-c", "systemctl is-active coturn.service || true")).Trim());
        Assert.Equal("strict", (await target.ExecAsync("systemctl", "show", "-P", "ProtectSystem", "coturn.service")).Trim());
        Assert.Contains(":0D96 ", await target.ExecAsync("cat", "/proc/net/udp"), StringComparison.Ordinal);
        await target.ExecAsync("systemctl", "stop", "coturn.service");
    }

    private static int UpCount(string targets) => targets.Split("\"health\":\"up\"").Length - 1;
}
