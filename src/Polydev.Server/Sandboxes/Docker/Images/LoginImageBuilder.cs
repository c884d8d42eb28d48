using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>The login image's inputs, found on disk and checked, before the base is resolved.</summary>
/// <param name="Clis">Every provider's pin with its installed npm prefix, in clis.tsv order.</param>
public sealed record LoginImageInputsFound(
    string Dockerfile, IReadOnlyList<(CliPin Cli, string Prefix)> Clis, string Node, string NodeVersion, IReadOnlyList<string> Packages);

/// <summary>The login image, planned: its inputs found and its version computed.</summary>
public sealed record LoginImagePlan(LoginImageInputsFound Inputs, string Version)
{
    public string Reference => LoginImages.Reference(Version);

    /// <summary>The Dockerfile's <c>CLIS</c> argument: <c>{provider}/{executable}</c> for each CLI, space-separated.</summary>
    public string CliLinks => string.Join(' ', Inputs.Clis.Select(c => $"{c.Cli.Provider}/{c.Cli.Executable}"));

    /// <summary>The <see cref="LoginImages.CliVersionsLabel"/> value: <c>{provider}={version}</c>, space-separated.</summary>
    public string CliVersions => string.Join(' ', Inputs.Clis.Select(c => $"{c.Cli.Provider}={c.Cli.Version}"));

    public IReadOnlyDictionary<string, string> BuildArgs(string baseReference) => new Dictionary<string, string>
    {
        ["BASE"] = baseReference,
        ["CLIS"] = CliLinks,
        ["CLI_VERSIONS"] = CliVersions,
        ["IMAGE_VERSION"] = Version,
    };
}

/// <summary>
/// Builds the login image (images/login/Dockerfile) over the Engine API, as <see cref="RuntimeImageBuilder"/> builds
/// the runtime images: the version from every input (<see cref="LoginImageVersion"/>), a build only when the daemon
/// lacks that version, tags <c>{version}</c> and <c>latest</c>. Unlike theirs, this build runs apt (docs/images.md).
/// </summary>
public sealed class LoginImageBuilder
{
    private readonly DockerClient _docker;
    private readonly ImageBuildStep _step;

    public LoginImageBuilder(DockerClient docker, ImageBuildMetrics metrics, ILogger<LoginImageBuilder> logger)
    {
        _docker = docker;
        _step = new ImageBuildStep(docker, metrics, logger);
    }

    /// <summary>Checks the inputs (the Dockerfile and its packages, the agent, every pinned CLI and Node) without touching the daemon.</summary>
    public static LoginImageInputsFound Find(RuntimeImageSources sources)
    {
        var dockerfile = sources.LoginDockerfile ?? throw new ImageBuildException("no login Dockerfile given (images/login/Dockerfile)");
        RuntimeImageBuilder.RequireFile(dockerfile, "the login Dockerfile", "");
        RuntimeImageBuilder.RequireFile(sources.Agent, "the sandbox agent", RuntimeImageBuilder.AgentRemedy);
        var packages = AptPackages.Parse(File.ReadAllText(dockerfile), dockerfile);
        var pins = CliPins.Load(sources.ClisFile);
        var clis = pins.Providers.Select(cli => (cli, InstalledClis.Prefix(cli, sources.ClisDirectory))).ToList();

        // Always copied in: codex and gemini are Node scripts, and a login flow may run any CLI.
        var node = InstalledClis.Node(pins, sources.ClisDirectory, sources.ClisFile, "the login image's CLIs");
        return new LoginImageInputsFound(dockerfile, clis, node, pins.Node!.Version, packages);
    }

    public async Task<LoginImagePlan> PlanAsync(LoginImageInputsFound inputs, RuntimeImageSources sources, string baseReference, CancellationToken cancellationToken = default)
    {
        var version = LoginImageVersion.Compute(new LoginImageInputs(
            inputs.Clis.Select(c => c.Cli).ToList(),
            inputs.NodeVersion,
            inputs.Packages,
            await RuntimeImageVersion.Sha256OfFileAsync(inputs.Dockerfile, cancellationToken),
            await RuntimeImageVersion.Sha256OfFileAsync(sources.Agent, cancellationToken),
            await RuntimeImageBuilder.BaseIdentityAsync(_docker, baseReference, cancellationToken)));
        return new LoginImagePlan(inputs, version);
    }

    /// <summary>Builds the planned image unless the daemon has its version; either way <c>latest</c> ends up on it.</summary>
    public async Task<RuntimeImageResult> BuildAsync(LoginImagePlan plan, RuntimeImageSources sources, string baseReference, Action<string> output, CancellationToken cancellationToken = default)
    {
        var result = await _step.BuildOrKeepAsync(
            LoginImages.Name,
            LoginImages.Repository,
            plan.Version,
            () => Context(plan, sources),
            plan.BuildArgs(baseReference),
            output,
            cancellationToken);
        return new RuntimeImageResult(LoginImages.Name, plan.Reference, plan.Version, result.Built, result.Duration);
    }

    public static LoginImageContext Context(LoginImagePlan plan, RuntimeImageSources sources) =>
        new(plan.Inputs.Dockerfile, sources.Agent, plan.Inputs.Node, plan.Inputs.Clis.Select(c => (c.Cli.Provider, c.Prefix)).ToList());
}
