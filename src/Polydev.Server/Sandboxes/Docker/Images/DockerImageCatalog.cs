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
        var runtime = images
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
            });
        var logins = await docker.ListImagesAsync([$"{LoginImages.ImageLabel}={LoginImages.Name}", RuntimeImages.VersionLabel], cancellationToken);
        var login = logins
            .OrderByDescending(i => i.Created)
            .Select(image =>
            {
                var version = image.Labels.GetValueOrDefault(RuntimeImages.VersionLabel, "");
                var reference = LoginImages.Reference(version);
                return new RuntimeImageInfo(
                    null,
                    image.Tags.Contains(reference) ? reference : image.Tags.FirstOrDefault() ?? image.Id,
                    version,
                    image.Size,
                    image.Created,
                    image.Tags.Contains(LoginImages.Latest)) { Image = LoginImages.Name };
            });
        return [.. runtime, .. login];
    }

    public async Task<IReadOnlyList<RuntimeImageOutcome>> BuildAsync(RuntimeImageBuildRequest request, Action<string> progress, CancellationToken cancellationToken = default)
    {
        request.Validate();
        await RequireDaemonAsync(cancellationToken);
        var sources = request.Sources;
        var metrics = new ImageBuildMetrics(new CollectorRegistry());
        var builder = new RuntimeImageBuilder(docker, metrics, NullLogger<RuntimeImageBuilder>.Instance);
        var loginBuilder = new LoginImageBuilder(docker, metrics, NullLogger<LoginImageBuilder>.Instance);

        // Every input is checked before the base is made (debootstrap takes minutes): the login image's first.
        var loginInputs = request.BuildsLogin ? LoginImageBuilder.Find(sources) : null;
        Task<string>? resolvingBase = null;
        Task<string> ResolveBaseAsync() => resolvingBase ??= EnsureBaseAsync(sources, progress, cancellationToken);

        var (baseReference, plans) = request.BuildsRuntime
            ? await builder.PlanAsync(sources, request.Providers.Distinct().ToList(), ResolveBaseAsync, cancellationToken)
            : (await ResolveBaseAsync(), []);
        var loginPlan = loginInputs is null ? null : await loginBuilder.PlanAsync(loginInputs, sources, baseReference, cancellationToken);
        if (request.StageDirectory is { } stage)
        {
            return await ImageContextStage.WriteAsync(stage, plans, loginPlan, sources, baseReference, cancellationToken);
        }

        var outcomes = new List<RuntimeImageOutcome>();
        foreach (var plan in plans)
        {
            progress($"{plan.Cli.Provider}: {plan.Reference} ({plan.Cli.Package}@{plan.Cli.Version}{(plan.Node is null ? "" : ", with Node.js")}) on {baseReference}");
            var result = await builder.BuildAsync(plan, sources, baseReference, line => progress($"  {plan.Cli.Provider} | {line}"), cancellationToken);
            outcomes.Add(Outcome(result));
        }

        if (loginPlan is not null)
        {
            progress($"{LoginImages.Name}: {loginPlan.Reference} ({loginPlan.CliVersions}, apt: {string.Join(' ', loginPlan.Inputs.Packages)}) on {baseReference}");
            var result = await loginBuilder.BuildAsync(loginPlan, sources, baseReference, line => progress($"  {LoginImages.Name} | {line}"), cancellationToken);
            outcomes.Add(Outcome(result));
        }

        return outcomes;
    }

    private static RuntimeImageOutcome Outcome(RuntimeImageResult result) =>
        new(result.Provider, result.Reference, result.Built ? $"built in {result.Duration.TotalSeconds:0.0} s" : "up to date");

    private async Task<string> EnsureBaseAsync(RuntimeImageSources sources, Action<string> progress, CancellationToken cancellationToken)
    {
        if (sources.Base is { Length: > 0 } explicitBase)
        {
            return explicitBase;
        }

        var codename = DebianBaseImage.HostCodename()
            ?? throw new ImageBuildException("cannot tell this host's Debian codename (VERSION_CODENAME in /etc/os-release): pass --base IMAGE");
        return await new DebianBaseImage(docker, _logger).EnsureAsync(codename, progress, cancellationToken);
    }

    private async Task RequireDaemonAsync(CancellationToken cancellationToken)
    {
        if (!await docker.PingAsync(cancellationToken))
        {
            throw new ImageBuildException($"no Docker daemon answers on {docker.SocketPath} (scripts/lib/docker.sh ensure_docker starts one)");
        }
    }
}
