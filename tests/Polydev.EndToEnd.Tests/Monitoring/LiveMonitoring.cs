using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Web;
using Polydev.Testing.Monitoring;

namespace Polydev.EndToEnd.Tests.Monitoring;

/// <summary>
/// Debian's Prometheus with deploy/monitoring as shipped, scraping a real server (and, on a cluster, an egress gateway)
/// and this host's node exporter, from before the server does its work; afterwards, the dashboards' queries are run over
/// that work as Grafana would run them (<see cref="DashboardDataCheck"/>). A test that already drives real executions,
/// egress and login sessions starts one, so the monitoring check costs seconds rather than a setup of its own.
/// </summary>
internal sealed class LiveMonitoring : IAsyncDisposable
{
    /// <summary>A second, so a test of a minute or two has rates, not a couple of samples.</summary>
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);

    private readonly NodeExporter _node;
    private readonly PrometheusServer _prometheus;
    private readonly IReadOnlyList<string> _metricsUrls;

    private LiveMonitoring(NodeExporter node, PrometheusServer prometheus, IReadOnlyList<string> metricsUrls)
    {
        _node = node;
        _prometheus = prometheus;
        _metricsUrls = metricsUrls;
    }

    /// <summary>
    /// What the monitored server is started with: a certificate to watch (the TLS panel and alert read its expiry), as an
    /// operator names the reverse proxy's.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> ServerSettings()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=polydev.test", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        var path = Path.Combine(Directory.CreateTempSubdirectory("polydev-monitored-").FullName, "fullchain.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return new Dictionary<string, string?> { ["POLYDEV_OBSERVABILITY__CERTIFICATES__https"] = path };
    }

    /// <param name="gatewayUrl">An egress gateway's <c>http://host:port</c>, scraped as job polydev-egress-gateway.</param>
    public static async Task<LiveMonitoring> StartAsync(ServerProcess server, string? gatewayUrl = null)
    {
        var node = await NodeExporter.StartAsync();
        var targets = new Dictionary<string, IReadOnlyList<string>>
        {
            ["polydev"] = [new Uri(server.Url).Authority],
            ["node"] = [node.Target],
        };
        var jobs = new List<string> { "polydev", "node" };
        var urls = new List<string> { server.Url + "/metrics" };
        if (gatewayUrl is not null)
        {
            targets["egress-gateway"] = [new Uri(gatewayUrl).Authority];
            jobs.Add("polydev-egress-gateway");
            urls.Add(gatewayUrl + "/metrics");
        }

        PrometheusServer prometheus;
        try
        {
            prometheus = await PrometheusServer.StartAsync(targets, ScrapeInterval);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        var monitoring = new LiveMonitoring(node, prometheus, urls);
        await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), [.. jobs]);
        return monitoring;
    }

    /// <summary>Every panel of the dashboards shows data over the time Prometheus has run (the work the test did).</summary>
    public Task AssertDashboardsShowDataAsync(params string[] uids) => AssertDashboardsShowDataAsync(uids, _ => false, []);

    /// <summary>
    /// The same check, and each dashboard drawn from the same query results (<see cref="DashboardPlot"/>) and saved as
    /// <c>dashboard-&lt;uid&gt;.png</c> through <paramref name="browser"/> (docs/screenshots with scripts/screenshots):
    /// the picture of the overview in docs/operations.md.
    /// </summary>
    public async Task AssertDashboardsShowDataAsync(BrowserSession browser, params string[] uids)
    {
        var dashboards = uids.ToDictionary(uid => uid, uid => GrafanaDashboard.Load(MonitoringFiles.Dashboard(uid)));
        var plots = dashboards.ToDictionary(d => d.Key, d => new DashboardPlot(d.Value.Title));
        await AssertDashboardsShowDataAsync(uids, _ => false, [], plots);
        foreach (var (uid, plot) in plots)
        {
            // A blank page: the web client's own has a Content Security Policy with Trusted Types.
            await browser.Page.GotoAsync("about:blank");
            await browser.Page.SetContentAsync(plot.ToHtml());
            // One chart per panel, each with a line: what the check above found, drawn.
            Assert.Equal(dashboards[uid].Panels.Count, plot.PanelCount);
            Assert.Equal(plot.PanelCount, await browser.Page.Locator(".panel svg").CountAsync());
            Assert.Equal(0, await browser.Page.GetByText("No data").CountAsync());
            await browser.ScreenshotAsync("dashboard-" + uid);
        }
    }

    /// <param name="needsAbsentSource">Queries of series this run cannot have; they must be exactly <paramref name="expectedNotRun"/>.</param>
    public async Task AssertDashboardsShowDataAsync(
        IReadOnlyList<string> uids, Func<string, bool> needsAbsentSource, IReadOnlyList<string> expectedNotRun, IReadOnlyDictionary<string, DashboardPlot>? plots = null)
    {
        // The last work is in the next scrapes.
        await Task.Delay(ScrapeInterval * 2);
        var to = DateTimeOffset.UtcNow;
        var problems = new List<string>();
        var notRun = new List<string>();
        foreach (var uid in uids)
        {
            var dashboard = GrafanaDashboard.Load(MonitoringFiles.Dashboard(uid));
            var checkedDashboard = await DashboardDataCheck.RunAsync(_prometheus, dashboard, "polydev-prometheus", _prometheus.StartedAt, to, needsAbsentSource, plots?.GetValueOrDefault(uid));
            problems.AddRange(checkedDashboard.Problems);
            notRun.AddRange(checkedDashboard.NotRun);
        }

        Assert.True(problems.Count == 0, $"{problems.Count} panel queries show nothing:\n{string.Join('\n', problems)}");
        Assert.Equal(expectedNotRun, notRun);
    }

    /// <summary><c>promtool check metrics</c> accepts every series the server (and gateway) exposes after the work.</summary>
    public async Task AssertMetricsFollowConventionsAsync()
    {
        using var http = new HttpClient();
        foreach (var url in _metricsUrls)
        {
            var complaints = await PromtoolMetricsCheck.RunAsync(await http.GetStringAsync(url));
            Assert.True(complaints.Count == 0, $"promtool check metrics on {url}:\n{string.Join('\n', complaints)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _prometheus.DisposeAsync();
        await _node.DisposeAsync();
    }
}
