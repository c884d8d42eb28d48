using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>Planning refuses bad input before anything is built; a built image is recognised as up to date.</summary>
public sealed class RuntimeImageBuilderTests
{
    private static readonly Func<Task<string>> NoBase = () => throw new InvalidOperationException("the base must not be resolved before the inputs are checked");

    [Fact]
    public async Task An_unknown_provider_is_one_line_naming_the_pinned_ones()
    {
        using var docker = new DockerClient("/nonexistent/docker.sock");
        var builder = Builder(docker, out _);

        var e = await Assert.ThrowsAsync<ImageBuildException>(() => builder.PlanAsync(RuntimeImageSetup.Sources(agent: ExistingFile()), ["mistral"], NoBase));

        Assert.Equal($"unknown provider 'mistral': {RuntimeImageSetup.ClisFile} pins anthropic, openai, google", e.Message);
    }

    [Fact]
    public async Task Missing_clis_name_the_script_that_installs_them()
    {
        using var docker = new DockerClient("/nonexistent/docker.sock");
        var builder = Builder(docker, out _);
        var empty = Directory.CreateTempSubdirectory("polydev-clis-");
        try
        {
            var e = await Assert.ThrowsAsync<ImageBuildException>(() => builder.PlanAsync(RuntimeImageSetup.Sources(empty.FullName, ExistingFile()), ["openai"], NoBase));

            Assert.Contains("@openai/codex@0.171.0 is not installed", e.Message);
            Assert.Contains("scripts/lib/clis.sh", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_agent_names_how_to_publish_it()
    {
        using var docker = new DockerClient("/nonexistent/docker.sock");
        var builder = Builder(docker, out _);

        var e = await Assert.ThrowsAsync<ImageBuildException>(() => builder.PlanAsync(RuntimeImageSetup.Sources(agent: "/nonexistent/polydev-agent"), [], NoBase));

        Assert.StartsWith("the sandbox agent is missing: /nonexistent/polydev-agent (publish it: dotnet publish src/Polydev.Agent", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Node_is_needed_by_node_scripts_only()
    {
        var work = Directory.CreateTempSubdirectory("polydev-shebang-");
        try
        {
            var script = Path.Combine(work.FullName, "script");
            File.WriteAllText(script, "#!/usr/bin/env node\nconsole.log(1)\n");
            var shell = Path.Combine(work.FullName, "shell");
            File.WriteAllText(shell, "#!/bin/sh\n# runs node later\nexec node x\n");
            var binary = Path.Combine(work.FullName, "binary");
            File.WriteAllBytes(binary, [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1]);

            Assert.True(RuntimeImageBuilder.NeedsNode(script));
            Assert.False(RuntimeImageBuilder.NeedsNode(shell));
            Assert.False(RuntimeImageBuilder.NeedsNode(binary));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// With the inputs scripts/test used, planning again gives versions the daemon has, and building them is a no-op
    /// that leaves <c>latest</c> on them: what makes `polydev images build` cheap on every start.
    /// </summary>
    [Collection(DockerSandboxCollection.Name)]
    public sealed class OnTheDaemon
    {
        [Fact]
        public async Task The_built_images_are_up_to_date_and_not_rebuilt()
        {
            using var docker = new DockerClient();
            if (!File.Exists(RuntimeImageSetup.Agent))
            {
                Assert.Fail($"{RuntimeImageSetup.Agent} is missing: run the tests through scripts/test (scripts/lib/images.sh publishes the agent and builds the images).");
            }

            var codename = DebianBaseImage.HostCodename()!;
            var baseReference = DebianBaseImage.Reference(codename);
            Assert.True(await docker.InspectImageAsync(baseReference) is not null, $"{baseReference} is missing: run scripts/test (polydev images build makes it)");
            var builder = Builder(docker, out var registry);

            var (resolved, plans) = await builder.PlanAsync(RuntimeImageSetup.Sources(), [], () => Task.FromResult(baseReference));

            Assert.Equal(baseReference, resolved);
            Assert.Equal(["anthropic", "openai", "google"], plans.Select(p => p.Cli.Provider));
            foreach (var plan in plans)
            {
                // Not compared with :latest: on a daemon shared by several checkouts, the last build moves it.
                var image = await docker.InspectImageAsync(plan.Reference);
                Assert.True(image is not null, $"{plan.Reference} is missing: run scripts/test (it builds the images from these inputs)");
                Assert.Equal(plan.Version, image.Labels[RuntimeImages.VersionLabel]);

                var result = await builder.BuildAsync(plan, RuntimeImageSetup.Sources(), baseReference, line => Assert.Fail($"nothing should be built: {line}"));
                Assert.False(result.Built);
                Assert.Equal(plan.Reference, result.Reference);
                Assert.Equal(image.Id, (await docker.InspectImageAsync(RuntimeImages.Latest(plan.Cli.Provider)))?.Id);
            }

            using var metrics = new MemoryStream();
            await registry.CollectAndExportAsTextAsync(metrics);
            var text = System.Text.Encoding.UTF8.GetString(metrics.ToArray());
            Assert.Contains("polydev_image_builds_total{provider=\"google\",outcome=\"up_to_date\"} 1", text);
        }
    }

    private static RuntimeImageBuilder Builder(DockerClient docker, out CollectorRegistry registry)
    {
        registry = new CollectorRegistry();
        return new RuntimeImageBuilder(docker, new ImageBuildMetrics(registry), NullLogger<RuntimeImageBuilder>.Instance);
    }

    private static string ExistingFile() => RuntimeImageSetup.ClisFile;
}
