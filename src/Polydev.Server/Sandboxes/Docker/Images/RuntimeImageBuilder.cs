using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>What became of one provider's image.</summary>
public sealed record RuntimeImageResult(string Provider, string Reference, string Version, bool Built, TimeSpan Duration);

/// <summary>One provider's image, planned: its inputs found and its version computed, before anything is built.</summary>
public sealed record RuntimeImagePlan(CliPin Cli, string CliPrefix, string? Node, string Version)
{
    public string Reference => RuntimeImages.Reference(Cli.Provider, Version);
}

/// <summary>
/// Builds the runtime images over the Engine API: for each provider, computes the version from the inputs, and
/// when the daemon has no image of that version, streams the context (<see cref="RuntimeImageContext"/>) to
/// <c>POST /build</c> with images/runtime/Dockerfile, tagging <c>{version}</c> and <c>latest</c>. An image whose
/// version exists is not rebuilt; only its <c>latest</c> tag is moved back to it when needed.
/// </summary>
public sealed class RuntimeImageBuilder
{
    private readonly DockerClient _docker;
    private readonly ImageBuildMetrics _metrics;
    private readonly ILogger _logger;

    public RuntimeImageBuilder(DockerClient docker, ImageBuildMetrics metrics, ILogger<RuntimeImageBuilder> logger)
    {
        _docker = docker;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>
    /// Checks the inputs of the given providers (all of clis.tsv when empty), then resolves the base image (which may
    /// make it: only once everything else is known to be there) and computes the versions.
    /// </summary>
    public async Task<(string Base, IReadOnlyList<RuntimeImagePlan> Plans)> PlanAsync(
        RuntimeImageSources sources, IReadOnlyCollection<string> providers, Func<Task<string>> resolveBase, CancellationToken cancellationToken = default)
    {
        RequireFile(sources.Dockerfile, "the runtime Dockerfile", "");
        RequireFile(sources.Agent, "the sandbox agent", " (publish it: dotnet publish src/Polydev.Agent -c Release -r linux-x64 -o DIR, as scripts/lib/images.sh does; or pass --agent PATH)");
        var pins = CliPins.Load(sources.ClisFile);
        var selected = providers.Count == 0 ? pins.Providers : providers.Select(p => pins.Find(p)
            ?? throw new ImageBuildException($"unknown provider '{p}': {sources.ClisFile} pins {string.Join(", ", pins.Providers.Select(x => x.Provider))}")).ToList();

        var found = new List<(CliPin Cli, string Prefix, string? Node)>();
        foreach (var cli in selected)
        {
            var prefix = Path.Combine(sources.ClisDirectory, cli.PrefixName);
            var executable = Path.Combine(prefix, "node_modules", ".bin", cli.Executable);
            if (!File.Exists(executable))
            {
                throw new ImageBuildException($"{cli.Package}@{cli.Version} is not installed at {prefix} (run scripts/lib/clis.sh ensure_clis, as scripts/test and scripts/start do, or pass --clis DIR)");
            }

            string? node = null;
            if (NeedsNode(executable))
            {
                var nodePin = pins.Node ?? throw new ImageBuildException($"{cli.Executable} is a Node.js script but {sources.ClisFile} has no node row");
                node = Path.Combine(sources.ClisDirectory, nodePin.PrefixName, "node_modules", ".bin", nodePin.Executable);
                if (!File.Exists(node))
                {
                    throw new ImageBuildException($"Node.js {nodePin.Version} is not installed at {node} (run scripts/lib/clis.sh ensure_clis, or pass --clis DIR)");
                }
            }

            found.Add((cli, prefix, node));
        }

        var baseReference = await resolveBase();
        var dockerfileSha = await RuntimeImageVersion.Sha256OfFileAsync(sources.Dockerfile, cancellationToken);
        var agentSha = await RuntimeImageVersion.Sha256OfFileAsync(sources.Agent, cancellationToken);
        var baseImage = await _docker.InspectImageAsync(baseReference, cancellationToken);
        var baseIdentity = baseImage is null ? baseReference : $"{baseReference}@{baseImage.Id}";
        var plans = found.Select(f => new RuntimeImagePlan(
            f.Cli,
            f.Prefix,
            f.Node,
            RuntimeImageVersion.Compute(new RuntimeImageInputs(f.Cli, f.Node is null ? null : pins.Node!.Version, dockerfileSha, agentSha, baseIdentity)))).ToList();
        return (baseReference, plans);
    }

    /// <summary>Builds the planned image unless the daemon has its version; either way <c>latest</c> ends up on it.</summary>
    public async Task<RuntimeImageResult> BuildAsync(RuntimeImagePlan plan, RuntimeImageSources sources, string baseReference, Action<string> output, CancellationToken cancellationToken = default)
    {
        var provider = plan.Cli.Provider;
        var repository = RuntimeImages.Repository(provider);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var existing = await _docker.InspectImageAsync(plan.Reference, cancellationToken);
            if (existing is not null && existing.Labels.GetValueOrDefault(RuntimeImages.VersionLabel) == plan.Version)
            {
                var latest = await _docker.InspectImageAsync(RuntimeImages.Latest(provider), cancellationToken);
                if (latest?.Id != existing.Id)
                {
                    await _docker.TagImageAsync(plan.Reference, repository, RuntimeImages.LatestTag, cancellationToken);
                }

                _metrics.Builds.WithLabels(provider, ImageBuildMetrics.Outcomes.UpToDate).Inc();
                ImageLog.UpToDate(_logger, plan.Reference, provider);
                return new RuntimeImageResult(provider, plan.Reference, plan.Version, false, Stopwatch.GetElapsedTime(started));
            }

            ImageLog.BuildStarted(_logger, plan.Reference, provider, baseReference);
            using var context = new RuntimeImageContext(sources.Dockerfile, sources.Agent, plan.Node, plan.CliPrefix);
            var buildArgs = new Dictionary<string, string>
            {
                ["BASE"] = baseReference,
                ["PROVIDER"] = provider,
                ["EXECUTABLE"] = plan.Cli.Executable,
                ["CLI_VERSION"] = plan.Cli.Version,
                ["IMAGE_VERSION"] = plan.Version,
            };
            var imageId = await _docker.BuildImageAsync(
                context,
                [plan.Reference, RuntimeImages.Latest(provider)],
                buildArgs,
                line =>
                {
                    ImageLog.BuildOutput(_logger, provider, line);
                    output(line);
                },
                cancellationToken);

            var elapsed = Stopwatch.GetElapsedTime(started);
            _metrics.Builds.WithLabels(provider, ImageBuildMetrics.Outcomes.Built).Inc();
            _metrics.Duration.WithLabels(provider).Observe(elapsed.TotalSeconds);
            ImageLog.Built(_logger, plan.Reference, provider, ShortId(imageId), elapsed.TotalSeconds);
            return new RuntimeImageResult(provider, plan.Reference, plan.Version, true, elapsed);
        }
        catch (Exception e) when (e is SandboxEngineException or IOException or ImageBuildException)
        {
            _metrics.Builds.WithLabels(provider, ImageBuildMetrics.Outcomes.Failed).Inc();
            ImageLog.BuildFailed(_logger, provider, e.Message);
            if (e is ImageBuildException)
            {
                throw;
            }

            throw new ImageBuildException($"building {plan.Reference} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// A CLI needs Node.js when its executable is a script whose <c>#!</c> line names node (gemini, and codex's
    /// launcher); a native binary (claude) gets no Node in its image.
    /// </summary>
    public static bool NeedsNode(string executable)
    {
        Span<byte> head = stackalloc byte[256];
        using var file = File.OpenRead(executable);
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var text = System.Text.Encoding.UTF8.GetString(head[..read]);
        if (!text.StartsWith("#!", StringComparison.Ordinal))
        {
            return false;
        }

        var newline = text.IndexOf('\n');
        var shebang = newline < 0 ? text : text[..newline];
        return shebang.Contains("node", StringComparison.Ordinal);
    }

    private static void RequireFile(string path, string what, string remedy)
    {
        if (!File.Exists(path))
        {
            throw new ImageBuildException($"{what} is missing: {path}{remedy}");
        }
    }

    private static string ShortId(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..Math.Min(id.Length, 19)] : id;
}
