using System.CommandLine;
using System.Globalization;
using Polydev.Server.Hosting;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Verbs;

/// <summary>
/// <c>polydev images build|list</c>: the runtime images and the login image (docs/images.md), through the configured
/// sandbox engine's image catalog (<see cref="IRuntimeImageCatalog"/>), built from images/runtime (Dockerfile and
/// clis.tsv) and images/login/Dockerfile, the pinned CLIs installed by scripts/lib/clis.sh and the published sandbox
/// agent. Progress goes to stderr, one result line per image to stdout.
/// </summary>
internal static class ImagesVerb
{
    private const int Failed = 1;

    public static Command Create()
    {
        var providers = new Option<string[]>("--provider") { Description = "Only this provider's runtime image (repeatable; default: every provider in images/runtime/clis.tsv, and the login image).", HelpName = "PROVIDER", AllowMultipleArgumentsPerToken = false };
        var only = new Option<RuntimeImageSet>("--only") { Description = "Only the runtime images, or only the login image (default: both).", HelpName = "runtime|login" };
        only.AcceptOnlyFromAmong("runtime", "login");
        var baseImage = new Option<string?>("--base") { Description = "Base image, e.g. debian:bookworm-slim from a registry (default: polydev/debian-base:<host codename>, made with debootstrap when missing).", HelpName = "IMAGE" };
        var agent = new Option<string?>("--agent") { Description = "The published polydev-agent binary (default: <repo>/.polydev/agent/polydev-agent).", HelpName = "PATH" };
        var clis = new Option<string?>("--clis") { Description = "Where scripts/lib/clis.sh installed the pinned CLIs (default: $POLYDEV_CLIS_DIR, else <repo>/.polydev/clis).", HelpName = "DIR" };
        var repo = new Option<string?>("--repo") { Description = "The Polydev repository holding images/runtime (default: found upward from the current directory).", HelpName = "DIR" };
        var stage = new Option<string?>("--stage") { Description = "Write each build context to DIR/runtime-<provider>.tar (and DIR/login.tar), with the command that builds it, instead of building.", HelpName = "DIR" };

        var build = new Command("build", "Build the runtime images and the login image that are missing or out of date (an image whose version exists is kept).")
        {
            providers, only, baseImage, agent, clis, repo, stage,
        };
        build.SetAction((parse, cancellationToken) => RunAsync("build", async () =>
        {
            var root = RepositoryRoot(parse.GetValue(repo));
            var sources = new RuntimeImageSources(
                Path.Combine(root, "images", "runtime", "Dockerfile"),
                Path.Combine(root, "images", "runtime", "clis.tsv"),
                Path.GetFullPath(parse.GetValue(clis) ?? NonEmpty(Environment.GetEnvironmentVariable("POLYDEV_CLIS_DIR")) ?? Path.Combine(root, ".polydev", "clis")),
                Path.GetFullPath(parse.GetValue(agent) ?? Path.Combine(root, ".polydev", "agent", "polydev-agent")),
                parse.GetValue(baseImage),
                Path.Combine(root, "images", "login", "Dockerfile"));
            return await BuildAsync(new RuntimeImageBuildRequest(sources, parse.GetValue(providers) ?? [], parse.GetValue(stage), parse.GetValue(only)), cancellationToken);
        }));

        var json = new Option<bool>("--json") { Description = "Print a JSON array (image, provider, reference, version, sizeBytes, created, latest) instead of the table." };
        var list = new Command("list", "List the runtime images and the login image on the sandbox engine: provider (- for the login image), reference, version, size, created.") { json };
        list.SetAction((parse, cancellationToken) => RunAsync("list", () => ListAsync(parse.GetValue(json), cancellationToken)));

        return new Command("images", "The sandbox images: one runtime image per provider, with the pinned CLI and the sandbox agent, and the login image.") { build, list };
    }

    private static async Task<int> BuildAsync(RuntimeImageBuildRequest request, CancellationToken cancellationToken)
    {
        using var host = ImageCatalogHost.Open();
        foreach (var outcome in await host.Catalog.BuildAsync(request, Progress, cancellationToken))
        {
            Console.WriteLine($"{outcome.Provider}\t{outcome.Reference}\t{outcome.Result}");
        }

        return 0;
    }

    private static async Task<int> ListAsync(bool json, CancellationToken cancellationToken)
    {
        using var host = ImageCatalogHost.Open();
        if (json)
        {
            var images = (await host.Catalog.ListAsync(cancellationToken))
                .Select(i => new { image = i.Image, provider = i.Provider, reference = i.Reference, version = i.Version, sizeBytes = i.Size, created = i.Created, latest = i.Latest });
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(images, Polydev.Contracts.PolydevJson.Options));
            return 0;
        }

        var rows = new List<string[]> { new[] { "PROVIDER", "REFERENCE", "VERSION", "SIZE", "CREATED", "LATEST" } };
        foreach (var image in await host.Catalog.ListAsync(cancellationToken))
        {
            rows.Add([
                image.Provider ?? "-",
                image.Reference,
                image.Version,
                $"{image.Size / 1024.0 / 1024.0:0} MiB",
                image.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                image.Latest ? "yes" : "",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }

        return 0;
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
