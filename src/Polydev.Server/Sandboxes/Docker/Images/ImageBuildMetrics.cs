using Prometheus;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>Runtime image builds (<c>polydev_image_*</c>) by provider and outcome.</summary>
public sealed class ImageBuildMetrics
{
    public ImageBuildMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        Builds = factory.CreateCounter(
            "polydev_image_builds_total",
            "Runtime image builds by provider and outcome (built, up_to_date, failed).",
            "provider", "outcome");
        Duration = factory.CreateHistogram(
            "polydev_image_build_duration_seconds",
            "Time to build one runtime image (context upload and build), by provider; up-to-date images are not observed.",
            new HistogramConfiguration { LabelNames = ["provider"], Buckets = Histogram.ExponentialBuckets(1, 2, 10) });
    }

    public Counter Builds { get; }

    public Histogram Duration { get; }

    public static class Outcomes
    {
        public const string Built = "built";
        public const string UpToDate = "up_to_date";
        public const string Failed = "failed";
    }
}
