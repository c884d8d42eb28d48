using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Images;
using Prometheus;

namespace Polydev.Verbs;

/// <summary>
/// <c>polydev images build|list</c>: the runtime images (docs/images.md), built over the Docker Engine API from
/// images/runtime (Dockerfile and clis.tsv), the pinned CLIs installed by scripts/lib/clis.sh and the published
/// sandbox agent. Progress goes to stderr, one result line per image to stdout.
/// </summary>
internal static class ImagesVerb
{
    private const int Failed = 1;

    public static Command Create()
    {
        var providers = new Option<string[]>("--provider") { Description = "Only this provider's image (repeatable; default: every provider in images/runtime/clis.tsv).", HelpName = "PROVIDER", AllowMultipleArgumentsPerToken = false };
        var baseImage = new Option<string?>("--base") { Description = "Base image, e.g. debian:bookworm-slim from a registry (default: polydev/debian-base:<host codename>, made with debootstrap when missing).", HelpName = "IMAGE" };
        var agent = new Option<string?>("--agent") { Description = "The published polydev-agent binary (default: <repo>/.polydev/agent/polydev-agent).", HelpName = "PATH" };
        var clis = new Option<string?>("--clis") { Description = "Where scripts/lib/clis.sh installed the pinned CLIs (default: $POLYDEV_CLIS_DIR, else <repo>/.polydev/clis).", HelpName = "DIR" };
        var repo = new Option<string?>("--repo") { Description = "The Polydev repository holding images/runtime (default: found upward from the current directory).", HelpName = "DIR" };
        var stage = new Option<string?>("--stage") { Description = "Write each build context to DIR/runtime-<provider>.tar (for docker build - < it) instead of building.", HelpName = "DIR" };
        var socket = new Option<string?>("--docker-socket") { Description = $"The Docker daemon's socket (default {DockerClient.DefaultSocket}).", HelpName = "PATH" };

        var build = new Command("build", "Build the runtime images that are missing or out of date (an image whose version exists is kept).")
        {
            providers, baseImage, agent, clis, repo, stage, socket,
        };
        build.SetAction((parse, cancellationToken) => RunAsync("build", async () =>
        {
            var root = RepositoryRoot(parse.GetValue(repo));
            var sources = new RuntimeImageSources(
                Path.Combine(root, "images", "runtime", "Dockerfile"),
                Path.Combine(root, "images", "runtime", "clis.tsv"),
                Path.GetFullPath(parse.GetValue(clis) ?? NonEmpty(Environment.GetEnvironmentVariable("POLYDEV_CLIS_DIR")) ?? Path.Combine(root, ".polydev", "clis")),
                Path.GetFullPath(parse.GetValue(agent) ?? Path.Combine(root, ".polydev", "agent", "polydev-agent")),
                parse.GetValue(baseImage));
            return await BuildAsync(sources, parse.GetValue(providers) ?? [], parse.GetValue(stage), parse.GetValue(socket), cancellationToken);
        }));

        var list = new Command("list", "List the runtime images on the Docker daemon: provider, reference, version, size, created.") { socket };
        list.SetAction((parse, cancellationToken) => RunAsync("list", () => ListAsync(parse.GetValue(socket), cancellationToken)));

        return new Command("images", "The runtime sandbox images: one per provider, with the pinned CLI and the sandbox agent.") { build, list };
    }

    private static async Task<int> BuildAsync(RuntimeImageSources sources, string[] providers, string? stage, string? socket, CancellationToken cancellationToken)
    {
        using var docker = await ConnectAsync(socket, cancellationToken);
        var builder = new RuntimeImageBuilder(docker, new ImageBuildMetrics(new CollectorRegistry()), NullLogger<RuntimeImageBuilder>.Instance);

        async Task<string> ResolveBaseAsync()
        {
            if (sources.Base is { Length: > 0 } explicitBase)
            {
                return explicitBase;
            }

            var codename = DebianBaseImage.HostCodename()
                ?? throw new ImageBuildException("cannot tell this host's Debian codename (VERSION_CODENAME in /etc/os-release): pass --base IMAGE");
            return await new DebianBaseImage(docker, NullLogger.Instance).EnsureAsync(codename, Progress, cancellationToken);
        }

        var (baseReference, plans) = await builder.PlanAsync(sources, providers.Distinct().ToList(), ResolveBaseAsync, cancellationToken);
        if (stage is not null)
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

                Console.WriteLine($"{plan.Cli.Provider}\t{path}\tdocker build -t {plan.Reference} --build-arg BASE={baseReference} --build-arg PROVIDER={plan.Cli.Provider} --build-arg EXECUTABLE={plan.Cli.Executable} --build-arg CLI_VERSION={plan.Cli.Version} --build-arg IMAGE_VERSION={plan.Version} - < {path}");
            }

            return 0;
        }

        foreach (var plan in plans)
        {
            Progress($"{plan.Cli.Provider}: {plan.Reference} ({plan.Cli.Package}@{plan.Cli.Version}{(plan.Node is null ? "" : ", with Node.js")}) on {baseReference}");
            var result = await builder.BuildAsync(plan, sources, baseReference, line => Progress($"  {plan.Cli.Provider} | {line}"), cancellationToken);
            Console.WriteLine(result.Built
                ? $"{result.Provider}\t{result.Reference}\tbuilt in {result.Duration.TotalSeconds:0.0} s"
                : $"{result.Provider}\t{result.Reference}\tup to date");
        }

        return 0;
    }

    private static async Task<int> ListAsync(string? socket, CancellationToken cancellationToken)
    {
        using var docker = await ConnectAsync(socket, cancellationToken);
        var images = await docker.ListImagesAsync([RuntimeImages.ProviderLabel, RuntimeImages.VersionLabel], cancellationToken);
        var rows = new List<string[]> { new[] { "PROVIDER", "REFERENCE", "VERSION", "SIZE", "CREATED", "LATEST" } };
        foreach (var image in images.OrderBy(i => i.Labels.GetValueOrDefault(RuntimeImages.ProviderLabel), StringComparer.Ordinal).ThenByDescending(i => i.Created))
        {
            var provider = image.Labels.GetValueOrDefault(RuntimeImages.ProviderLabel, "");
            var version = image.Labels.GetValueOrDefault(RuntimeImages.VersionLabel, "");
            var reference = RuntimeImages.Reference(provider, version);
            rows.Add([
                provider,
                image.Tags.Contains(reference) ? reference : image.Tags.FirstOrDefault() ?? image.Id,
                version,
                $"{image.Size / 1024.0 / 1024.0:0} MiB",
                image.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                image.Tags.Contains(RuntimeImages.Latest(provider)) ? "yes" : "",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }

        return 0;
    }

    private static async Task<DockerClient> ConnectAsync(string? socket, CancellationToken cancellationToken)
    {
        var docker = new DockerClient(socket ?? DockerClient.DefaultSocket);
        if (!await docker.PingAsync(cancellationToken))
        {
            docker.Dispose();
            throw new ImageBuildException($"no Docker daemon answers on {docker.SocketPath} (scripts/lib/docker.sh ensure_docker starts one)");
        }

        return docker;
    }

    /// <summary>The repository root: the given directory, or the first one upward from here holding images/runtime/clis.tsv.</summary>
    private static string RepositoryRoot(string? given)
    {
        static bool IsRoot(string directory) => File.Exists(Path.Combine(directory, "images", "runtime", "clis.tsv"));
        if (given is not null)
        {
            var full = Path.GetFullPath(given);
            return IsRoot(full) ? full : throw new ImageBuildException($"{full} holds no images/runtime/clis.tsv: not a Polydev repository");
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (IsRoot(directory.FullName))
                {
                    return directory.FullName;
                }
            }
        }

        throw new ImageBuildException("cannot find images/runtime/clis.tsv upward from the current directory: run inside the Polydev repository or pass --repo DIR");
    }

    private static async Task<int> RunAsync(string verb, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ImageBuildException or SandboxEngineException)
        {
            await Console.Error.WriteLineAsync($"polydev images {verb}: {e.Message}");
            return Failed;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"polydev images {verb}: cancelled");
            return 130;
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static void Progress(string line) => Console.Error.WriteLine(line);
}
