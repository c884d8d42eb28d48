using Prometheus;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>Runtime image builds (<c>polydev_image_*</c>) by provider and outcome.</summary>
public sealed class ImageBuildMetrics(CollectorRegistry registry)
{
    public Counter Builds { get; } = registry.Counter(
        "polydev_image_builds_total",
        "Runtime image builds by provider and outcome (built, up_to_date, failed).",
        "provider", "outcome");

    public Histogram Duration { get; } = registry.Histogram(
        "polydev_image_build_duration_seconds",
        "Time to build one runtime image (context upload and build), by provider; up-to-date images are not observed.",
        Histogram.ExponentialBuckets(1, 2, 10),
        "provider");

    public static class Outcomes
    {
        public const string Built = "built";
        public const string UpToDate = "up_to_date";
        public const string Failed = "failed";
    }
}
