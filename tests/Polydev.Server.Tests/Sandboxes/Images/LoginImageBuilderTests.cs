using System.Formats.Tar;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>The login image's inputs are checked before anything is built; its context; which images a request builds; a built image is up to date.</summary>
public sealed class LoginImageBuilderTests
{
    [Fact]
    public void Missing_clis_name_the_script_that_installs_them()
    {
        var empty = Directory.CreateTempSubdirectory("polydev-clis-");
        try
        {
            var e = Assert.Throws<ImageBuildException>(() => LoginImageBuilder.Find(RuntimeImageSetup.Sources(empty.FullName, RuntimeImageSetup.ClisFile)));

            Assert.Contains("@anthropic-ai/claude-code@", e.Message);
            Assert.Contains("is not installed", e.Message);
            Assert.Contains("scripts/lib/clis.sh", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_agent_or_login_dockerfile_is_one_line()
    {
        var agent = Assert.Throws<ImageBuildException>(() => LoginImageBuilder.Find(RuntimeImageSetup.Sources(agent: "/nonexistent/polydev-agent")));
        Assert.StartsWith("the sandbox agent is missing: /nonexistent/polydev-agent (publish it: dotnet publish src/Polydev.Agent", agent.Message);

        var dockerfile = Assert.Throws<ImageBuildException>(() => LoginImageBuilder.Find(
            RuntimeImageSetup.Sources(agent: RuntimeImageSetup.ClisFile) with { LoginDockerfile = "/nonexistent/Dockerfile" }));
        Assert.Equal("the login Dockerfile is missing: /nonexistent/Dockerfile", dockerfile.Message);
    }

    [Theory]
    [InlineData(RuntimeImageSet.All, new string[0], true, true)]
    [InlineData(RuntimeImageSet.All, new[] { "google" }, true, false)]
    [InlineData(RuntimeImageSet.Runtime, new string[0], true, false)]
    [InlineData(RuntimeImageSet.Login, new string[0], false, true)]
    public void A_request_builds_the_login_image_with_everything_or_alone(RuntimeImageSet only, string[] providers, bool runtime, bool login)
    {
        var request = new RuntimeImageBuildRequest(RuntimeImageSetup.Sources(), providers, Only: only);
        request.Validate();
        Assert.Equal((runtime, login), (request.BuildsRuntime, request.BuildsLogin));
    }

    [Fact]
    public void Providers_with_only_login_are_refused()
    {
        var e = Assert.Throws<ImageBuildException>(() => new RuntimeImageBuildRequest(RuntimeImageSetup.Sources(), ["google"], Only: RuntimeImageSet.Login).Validate());
        Assert.Equal("--provider names runtime images, and --only login builds none of them", e.Message);
    }

    [Fact]
    public async Task The_context_holds_the_dockerfile_the_agent_node_and_each_providers_prefix_under_its_name()
    {
        var work = Directory.CreateTempSubdirectory("polydev-login-context-");
        try
        {
            string Write(string relative, string content)
            {
                var path = Path.Combine(work.FullName, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, content);
                return path;
            }

            Write("openai/node_modules/.bin/codex", "codex");
            Write("anthropic/node_modules/.bin/claude", "claude");
            using var context = new LoginImageContext(
                Write("Dockerfile", "FROM x\n"), Write("agent", "agent"), Write("node", "node"),
                [("openai", Path.Combine(work.FullName, "openai")), ("anthropic", Path.Combine(work.FullName, "anthropic"))]);
            using var buffer = new MemoryStream();
            await context.WriteToAsync(buffer, CancellationToken.None);
            buffer.Position = 0;
            using var reader = new TarReader(buffer);
            var entries = new List<TarEntry>();
            while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
            {
                entries.Add(entry);
            }

            Assert.Equal("Dockerfile", entries[0].Name);
            Assert.Equal(TarEntryFormat.Gnu, entries[0].Format);
            Assert.Equal((UnixFileMode)0b111_101_101, entries.Single(e => e.Name == "polydev-agent").Mode);
            Assert.Equal((UnixFileMode)0b111_101_101, entries.Single(e => e.Name == "node/node").Mode);
            var clis = entries.Where(e => e.EntryType == TarEntryType.RegularFile && e.Name.StartsWith("cli/", StringComparison.Ordinal)).Select(e => e.Name);
            Assert.Equal(["cli/anthropic/node_modules/.bin/claude", "cli/openai/node_modules/.bin/codex"], clis);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>With the inputs scripts/test used, planning again gives the version the daemon has, and building is a no-op.</summary>
    [Collection(DockerSandboxCollection.Name)]
    public sealed class OnTheDaemon
    {
        [Fact]
        public async Task The_built_login_image_is_up_to_date_and_not_rebuilt()
        {
            using var docker = new DockerClient();
            if (!File.Exists(RuntimeImageSetup.Agent))
            {
                Assert.Fail($"{RuntimeImageSetup.Agent} is missing: run the tests through scripts/test (scripts/lib/images.sh publishes the agent and builds the images).");
            }

            var baseReference = DebianBaseImage.Reference(DebianBaseImage.HostCodename()!);
            var registry = new CollectorRegistry();
            var builder = new LoginImageBuilder(docker, new ImageBuildMetrics(registry), NullLogger<LoginImageBuilder>.Instance);
            var sources = RuntimeImageSetup.Sources();

            var plan = await builder.PlanAsync(LoginImageBuilder.Find(sources), sources, baseReference);

            var image = await docker.InspectImageAsync(plan.Reference);
            Assert.True(image is not null, $"{plan.Reference} is missing: run scripts/test (it builds the login image from these inputs)");
            Assert.Equal(plan.Version, image.Labels[RuntimeImages.VersionLabel]);
            var result = await builder.BuildAsync(plan, sources, baseReference, line => Assert.Fail($"nothing should be built: {line}"));
            Assert.False(result.Built);
            Assert.Equal(image.Id, (await docker.InspectImageAsync(LoginImages.Latest))?.Id);

            using var metrics = new MemoryStream();
            await registry.CollectAndExportAsTextAsync(metrics);
            Assert.Contains("polydev_image_builds_total{provider=\"login\",outcome=\"up_to_date\"} 1", System.Text.Encoding.UTF8.GetString(metrics.ToArray()));
        }
    }
}
