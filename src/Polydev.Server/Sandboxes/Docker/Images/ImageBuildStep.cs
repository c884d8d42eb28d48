using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// Builds one planned image unless the daemon already has its version, and leaves <c>latest</c> on it either way:
/// the step the runtime images and the login image share, with its metrics and logs under the image's name (a
/// provider, or <c>login</c>).
/// </summary>
public sealed class ImageBuildStep(DockerClient docker, ImageBuildMetrics metrics, ILogger logger)
{
    /// <summary>What the step did: whether it built, and how long it took.</summary>
    public sealed record Result(bool Built, TimeSpan Duration);

    public async Task<Result> BuildOrKeepAsync(
        string name, string repository, string version, Func<HttpContent> context, IReadOnlyDictionary<string, string> buildArgs, Action<string> output, CancellationToken cancellationToken)
    {
        var reference = $"{repository}:{version}";
        var latestReference = $"{repository}:{RuntimeImages.LatestTag}";
        var started = Stopwatch.GetTimestamp();
        try
        {
            var existing = await docker.InspectImageAsync(reference, cancellationToken);
            if (existing is not null && existing.Labels.GetValueOrDefault(RuntimeImages.VersionLabel) == version)
            {
                var latest = await docker.InspectImageAsync(latestReference, cancellationToken);
                if (latest?.Id != existing.Id)
                {
                    await docker.TagImageAsync(reference, repository, RuntimeImages.LatestTag, cancellationToken);
                }

                metrics.Builds.WithLabels(name, ImageBuildMetrics.Outcomes.UpToDate).Inc();
                ImageLog.UpToDate(logger, reference, name);
                return new Result(false, Stopwatch.GetElapsedTime(started));
            }

            ImageLog.BuildStarted(logger, reference, name, buildArgs.GetValueOrDefault("BASE", ""));
            using var content = context();
            var imageId = await docker.BuildImageAsync(
                content,
                [reference, latestReference],
                buildArgs,
                line =>
                {
                    ImageLog.BuildOutput(logger, name, line);
                    output(line);
                },
                cancellationToken);

            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.Builds.WithLabels(name, ImageBuildMetrics.Outcomes.Built).Inc();
            metrics.Duration.WithLabels(name).Observe(elapsed.TotalSeconds);
            ImageLog.Built(logger, reference, name, ShortId(imageId), elapsed.TotalSeconds);
            return new Result(true, elapsed);
        }
        catch (Exception e) when (e is SandboxEngineException or IOException or ImageBuildException)
        {
            metrics.Builds.WithLabels(name, ImageBuildMetrics.Outcomes.Failed).Inc();
            ImageLog.BuildFailed(logger, name, e.Message);
            if (e is ImageBuildException)
            {
                throw;
            }

            throw new ImageBuildException($"building {reference} failed: {e.Message}", e);
        }
    }

    private static string ShortId(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..Math.Min(id.Length, 19)] : id;
}
