using Prometheus;

namespace Polydev.Server.Web;

/// <summary>
/// <c>polydev_web_requests_total{kind}</c>: pages (index.html), assets, and requests for either that found nothing.
/// Never a path label: paths are unbounded and a page path may name a chat.
/// </summary>
public sealed class WebMetrics
{
    public WebMetrics(CollectorRegistry registry)
    {
        var requests = registry.Counter("polydev_web_requests_total", "Web client requests answered, by kind (page: index.html, asset: a file under /assets, missing: nothing to serve).", "kind");
        Pages = requests.WithLabels("page");
        Assets = requests.WithLabels("asset");
        Missing = requests.WithLabels("missing");
    }

    public Counter.Child Pages { get; }

    public Counter.Child Assets { get; }

    public Counter.Child Missing { get; }
}
