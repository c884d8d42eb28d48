using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Sandboxes.Images;
using Prometheus;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>The runtime images on one Docker daemon: versions from their labels, listing, and building with <see cref="RuntimeImageBuilder"/>.</summary>
public sealed class DockerImageCatalog(DockerClient docker, ILogger<DockerImageCatalog>? logger = null) : IRuntimeImageCatalog
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    public async Task<string?> ResolveVersionAsync(string image, CancellationToken cancellationToken = default)
    {
        if (await docker.InspectImageAsync(image, cancellationToken) is not { } inspected)
        {
            return null;
        }

        // An image without the label (a hand-made one) is served under its content id, so a rebuild still shows as a new version.
        return inspected.Labels.TryGetValue(SandboxLabels.ImageVersion, out var version) && version.Length > 0
            ? version
            : inspected.Id.Replace("sha256:", "", StringComparison.Ordinal)[..12];
    }

    public async Task<IReadOnlyList<RuntimeImageInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await RequireDaemonAsync(cancellationToken);
        var images = await docker.ListImagesAsync([RuntimeImages.ProviderLabel, RuntimeImages.VersionLabel], cancellationToken);
        return images
            .OrderBy(i => i.Labels.GetValueOrDefault(RuntimeImages.ProviderLabel), StringComparer.Ordinal)
            .ThenByDescending(i => i.Created)
            .Select(image =>
            {
                var provider = image.Labels.GetValueOrDefault(RuntimeImages.ProviderLabel, "");
                var version = image.Labels.GetValueOrDefault(RuntimeImages.VersionLabel, "");
                var reference = RuntimeImages.Reference(provider, version);
                return new RuntimeImageInfo(
                    provider,
                    image.Tags.Contains(reference) ? reference : image.Tags.FirstOrDefault() ?? image.Id,
                    version,
                    image.Size,
                    image.Created,
                    image.Tags.Contains(RuntimeImages.Latest(provider)));
            })
            .ToList();
    }

    public async Task<IReadOnlyList<RuntimeImageOutcome>> BuildAsync(RuntimeImageBuildRequest request, Action<string> progress, CancellationToken cancellationToken = default)
    {
        await RequireDaemonAsync(cancellationToken);
        var sources = request.Sources;
        var builder = new RuntimeImageBuilder(docker, new ImageBuildMetrics(new CollectorRegistry()), NullLogger<RuntimeImageBuilder>.Instance);

        async Task<string> ResolveBaseAsync()
        {
            if (sources.Base is { Length: > 0 } explicitBase)
            {
                return explicitBase;
            }

            var codename = DebianBaseImage.HostCodename()
                ?? throw new ImageBuildException("cannot tell this host's Debian codename (VERSION_CODENAME in /etc/os-release): pass --base IMAGE");
            return await new DebianBaseImage(docker, _logger).EnsureAsync(codename, progress, cancellationToken);
        }

        var (baseReference, plans) = await builder.PlanAsync(sources, request.Providers.Distinct().ToList(), ResolveBaseAsync, cancellationToken);
        var outcomes = new List<RuntimeImageOutcome>();
        if (request.StageDirectory is { } stage)
        {
            Directory.CreateDirectory(stage);
            foreach (var plan in plans)
            {
                var path = Path.Combine(stage, $"runtime-{plan.Cli.Provider}.tar");
                await using (var file = File.Create(path))
                {
                    using var context = new RuntimeImageContext(sources.Dockerfile, sources.Agent, plan.Node, plan.CliPrefix);
                    await context.WriteToAsync(file, cancellationToken);
                }

                outcomes.Add(new RuntimeImageOutcome(plan.Cli.Provider, path,
                    $"docker build -t {plan.Reference} --build-arg BASE={baseReference} --build-arg PROVIDER={plan.Cli.Provider} --build-arg EXECUTABLE={plan.Cli.Executable} --build-arg CLI_VERSION={plan.Cli.Version} --build-arg IMAGE_VERSION={plan.Version} - < {path}"));
            }

            return outcomes;
        }

        foreach (var plan in plans)
        {
            progress($"{plan.Cli.Provider}: {plan.Reference} ({plan.Cli.Package}@{plan.Cli.Version}{(plan.Node is null ? "" : ", with Node.js")}) on {baseReference}");
            var result = await builder.BuildAsync(plan, sources, baseReference, line => progress($"  {plan.Cli.Provider} | {line}"), cancellationToken);
            outcomes.Add(new RuntimeImageOutcome(result.Provider, result.Reference, result.Built ? $"built in {result.Duration.TotalSeconds:0.0} s" : "up to date"));
        }

        return outcomes;
    }

    private async Task RequireDaemonAsync(CancellationToken cancellationToken)
    {
        if (!await docker.PingAsync(cancellationToken))
        {
            throw new ImageBuildException($"no Docker daemon answers on {docker.SocketPath} (scripts/lib/docker.sh ensure_docker starts one)");
        }
    }
}
