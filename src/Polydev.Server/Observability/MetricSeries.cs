using Prometheus;

namespace Polydev.Server.Observability;

/// <summary>
/// How every part declares its Prometheus series: on the registry it is given (the default one in the server, a fresh
/// one where a test wants its own), with the name, the help and the label names stated once.
/// </summary>
public static class MetricSeries
{
    public static Prometheus.Counter Counter(this CollectorRegistry registry, string name, string help, params string[] labels) =>
        Metrics.WithCustomRegistry(registry).CreateCounter(name, help, labels);

    public static Prometheus.Gauge Gauge(this CollectorRegistry registry, string name, string help, params string[] labels) =>
        Metrics.WithCustomRegistry(registry).CreateGauge(name, help, labels);

    /// <param name="buckets">Upper bounds, typically <c>Histogram.ExponentialBuckets(first, 2, count)</c>.</param>
    public static Prometheus.Histogram Histogram(this CollectorRegistry registry, string name, string help, double[] buckets, params string[] labels) =>
        Metrics.WithCustomRegistry(registry).CreateHistogram(name, help, new HistogramConfiguration { LabelNames = labels, Buckets = buckets });
}
