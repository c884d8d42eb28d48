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
    private readonly ImageBuildStep _step;

    public RuntimeImageBuilder(DockerClient docker, ImageBuildMetrics metrics, ILogger<RuntimeImageBuilder> logger)
    {
        _docker = docker;
        _step = new ImageBuildStep(docker, metrics, logger);
    }

    /// <summary>
    /// Checks the inputs of the given providers (all of clis.tsv when empty), then resolves the base image (which may
    /// make it: only once everything else is known to be there) and computes the versions.
    /// </summary>
    public async Task<(string Base, IReadOnlyList<RuntimeImagePlan> Plans)> PlanAsync(
        RuntimeImageSources sources, IReadOnlyCollection<string> providers, Func<Task<string>> resolveBase, CancellationToken cancellationToken = default)
    {
        RequireFile(sources.Dockerfile, "the runtime Dockerfile", "");
        RequireFile(sources.Agent, "the sandbox agent", AgentRemedy);
        var pins = CliPins.Load(sources.ClisFile);
        var selected = providers.Count == 0 ? pins.Providers : providers.Select(p => pins.Find(p)
            ?? throw new ImageBuildException($"unknown provider '{p}': {sources.ClisFile} pins {string.Join(", ", pins.Providers.Select(x => x.Provider))}")).ToList();

        var found = new List<(CliPin Cli, string Prefix, string? Node)>();
        foreach (var cli in selected)
        {
            var prefix = InstalledClis.Prefix(cli, sources.ClisDirectory);
            var node = NeedsNode(InstalledClis.Executable(cli, sources.ClisDirectory))
                ? InstalledClis.Node(pins, sources.ClisDirectory, sources.ClisFile, cli.Executable)
                : null;
            found.Add((cli, prefix, node));
        }

        var baseReference = await resolveBase();
        var dockerfileSha = await RuntimeImageVersion.Sha256OfFileAsync(sources.Dockerfile, cancellationToken);
        var agentSha = await RuntimeImageVersion.Sha256OfFileAsync(sources.Agent, cancellationToken);
        var baseIdentity = await BaseIdentityAsync(_docker, baseReference, cancellationToken);
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
        var buildArgs = new Dictionary<string, string>
        {
            ["BASE"] = baseReference,
            ["PROVIDER"] = provider,
            ["EXECUTABLE"] = plan.Cli.Executable,
            ["CLI_VERSION"] = plan.Cli.Version,
            ["IMAGE_VERSION"] = plan.Version,
        };
        var result = await _step.BuildOrKeepAsync(
            provider,
            RuntimeImages.Repository(provider),
            plan.Version,
            () => new RuntimeImageContext(sources.Dockerfile, sources.Agent, plan.Node, plan.CliPrefix),
            buildArgs,
            output,
            cancellationToken);
        return new RuntimeImageResult(provider, plan.Reference, plan.Version, result.Built, result.Duration);
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

    internal const string AgentRemedy = " (publish it: dotnet publish src/Polydev.Agent -c Release -r linux-x64 -o DIR, as scripts/lib/images.sh does; or pass --agent PATH)";

    /// <summary>The base as a version sees it: its reference and, when the daemon has it, its image id (a re-made base gives new versions).</summary>
    internal static async Task<string> BaseIdentityAsync(DockerClient docker, string baseReference, CancellationToken cancellationToken)
    {
        var baseImage = await docker.InspectImageAsync(baseReference, cancellationToken);
        return baseImage is null ? baseReference : $"{baseReference}@{baseImage.Id}";
    }

    internal static void RequireFile(string path, string what, string remedy)
    {
        if (!File.Exists(path))
        {
            throw new ImageBuildException($"{what} is missing: {path}{remedy}");
        }
    }
}
