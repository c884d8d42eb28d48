using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// <c>polydev images build --stage DIR</c>: each planned image's build context written to <c>DIR</c> as a tar, with the
/// <c>docker build</c> command that builds it elsewhere (CI, <c>docker buildx</c>, a host that can push).
/// </summary>
internal static class ImageContextStage
{
    public static async Task<IReadOnlyList<RuntimeImageOutcome>> WriteAsync(
        string stage, IReadOnlyList<RuntimeImagePlan> plans, LoginImagePlan? login, RuntimeImageSources sources, string baseReference, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(stage);
        var outcomes = new List<RuntimeImageOutcome>();
        foreach (var plan in plans)
        {
            var path = Path.Combine(stage, $"runtime-{plan.Cli.Provider}.tar");
            await WriteAsync(path, new RuntimeImageContext(sources.Dockerfile, sources.Agent, plan.Node, plan.CliPrefix), cancellationToken);
            outcomes.Add(new RuntimeImageOutcome(plan.Cli.Provider, path,
                $"docker build -t {plan.Reference} --build-arg BASE={baseReference} --build-arg PROVIDER={plan.Cli.Provider} --build-arg EXECUTABLE={plan.Cli.Executable} --build-arg CLI_VERSION={plan.Cli.Version} --build-arg IMAGE_VERSION={plan.Version} - < {path}"));
        }

        if (login is not null)
        {
            var path = Path.Combine(stage, $"{LoginImages.Name}.tar");
            await WriteAsync(path, LoginImageBuilder.Context(login, sources), cancellationToken);

            // The CLIS and CLI_VERSIONS values hold spaces: quoted for the shell.
            var args = string.Join(' ', login.BuildArgs(baseReference).Select(a => $"--build-arg {a.Key}='{a.Value}'"));
            outcomes.Add(new RuntimeImageOutcome(LoginImages.Name, path, $"docker build -t {login.Reference} {args} - < {path}"));
        }

        return outcomes;
    }

    private static async Task WriteAsync(string path, HttpContent context, CancellationToken cancellationToken)
    {
        using (context)
        {
            await using var file = File.Create(path);
            await context.CopyToAsync(file, cancellationToken);
        }
    }
}
