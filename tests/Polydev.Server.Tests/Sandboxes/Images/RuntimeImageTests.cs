using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;
using Polydev.Server.Tests.Sandboxes.Conformance;
using Xunit.Abstractions;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>
/// The runtime images scripts/test built (scripts/lib/images.sh), on the real daemon, each run the way the server will
/// run it: a sandbox from <c>polydev/runtime-{provider}:latest</c> created through <see cref="DockerSandboxEngine"/>
/// with the full default limits and the image's own entrypoint. A missing image fails, naming what to run.
/// </summary>
[Collection(SandboxRunCollection.Name)]
public sealed class RuntimeImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(90);

    private SandboxTestHarness _harness = null!;

    public static TheoryData<string> Providers => ["anthropic", "openai", "google"];

    public Task InitializeAsync()
    {
        _harness = new SandboxTestHarness(DockerEngineUnderTest.NewEngine, "");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_image_exists_tagged_with_its_version_and_latest_and_labelled(string provider)
    {
        var pin = RuntimeImageSetup.Pin(provider);
        var latest = await LatestAsync(provider);

        Assert.Equal(provider, latest.Labels.GetValueOrDefault(RuntimeImages.ProviderLabel));
        Assert.Equal(pin.Version, latest.Labels.GetValueOrDefault(RuntimeImages.CliVersionLabel));
        var version = latest.Labels.GetValueOrDefault(RuntimeImages.VersionLabel) ?? "";
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(pin.Version)}-[0-9a-f]{{12}}$", version);

        var versioned = await DockerEngineUnderTest.Client.InspectImageAsync(RuntimeImages.Reference(provider, version));
        Assert.True(versioned is not null, $"{RuntimeImages.Reference(provider, version)} is missing although :latest carries that version");
        Assert.Equal(latest.Id, versioned.Id);
        Assert.Contains(RuntimeImages.Latest(provider), versioned.Tags);
        Assert.Null(await DockerEngineUnderTest.Client.InspectImageAsync($"{RuntimeImages.Repository(provider)}:no-such-version"));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_sandbox_from_the_image_runs_the_pinned_cli_as_the_sandbox_user_on_a_read_only_root_under_the_idle_agent(string provider)
    {
        var pin = RuntimeImageSetup.Pin(provider);
        var needsNode = RuntimeImageBuilder.NeedsNode(RuntimeImageSetup.HostExecutable(provider));
        var image = await LatestAsync(provider);
        var version = image.Labels[RuntimeImages.VersionLabel];

        // No Command: the image's entrypoint and command (polydev-agent idle) are the main process.
        var sandbox = await _harness.Engine.CreateAsync(new SandboxSpec(RuntimeImages.Latest(provider), provider, version, _harness.OwnerId));

        var cli = await RunAsync(sandbox, [pin.Executable, "--version"]);
        output.WriteLine($"{pin.Executable} --version: {cli.Stdout.Trim()} {cli.Stderr.Trim()}");
        Assert.True(cli.Exit == 0, $"{pin.Executable} --version exited {cli.Exit}: {cli.Stderr}");
        Assert.Contains(pin.Version, cli.Stdout);

        var node = await RunAsync(sandbox, ["sh", "-c", "command -v node && node --version"]);
        if (needsNode)
        {
            Assert.True(node.Exit == 0, $"{pin.Executable} is a Node.js script but the image has no working node: {node.Stderr}");
            var major = int.Parse(node.Stdout.Split('\n')[1].TrimStart('v').Split('.')[0]);
            Assert.True(major >= 20, $"node {node.Stdout} is older than 20");
            Assert.Contains(RuntimeImageSetup.Pins.Node!.Version, node.Stdout);
        }
        else
        {
            Assert.True(node.Exit != 0, $"{pin.Executable} is native, yet the image carries node: {node.Stdout}");
        }

        var id = await RunAsync(sandbox, ["sh", "-c", "id -u; id -g; id -un"]);
        Assert.Equal($"{SandboxUser.Id}\n{SandboxUser.Id}\nsandbox\n", id.Stdout);

        var root = await RunAsync(sandbox, ["sh", "-c", "touch /usr/local/bin/x || touch /opt/polydev/x || touch /x; echo $?; echo ok > \"$HOME/w\" && cat \"$HOME/w\"; test -s /etc/ssl/certs/ca-certificates.crt && echo certs"]);
        Assert.Contains("Read-only file system", root.Stderr);
        Assert.Equal("1\nok\ncerts\n", root.Stdout);

        var processes = await RunAsync(sandbox, ["sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done"]);
        Assert.Contains("/usr/local/bin/polydev-agent idle", processes.Stdout);

        // The agent says hello (docs/agent-protocol.md): its protocol version, type hello, then the interval and the 65-byte key.
        var hello = await RunAsync(sandbox, ["sh", "-c", "polydev-agent serve < /dev/null | head -c 76 | base64 -w0"]);
        Assert.True(hello.Exit == 0, $"polydev-agent serve: {hello.Stderr}");
        var frame = Convert.FromBase64String(hello.Stdout.Trim());
        Assert.Equal(76, frame.Length);
        Assert.Equal([Polydev.Agent.Protocol.AgentProtocol.Version, (byte)Polydev.Agent.Protocol.AgentFrameType.Hello], frame[..2]);
        Assert.Equal(65, frame[10]);
        Assert.Equal(0x04, frame[11]);

        await Task.Delay(TimeSpan.FromSeconds(1));
        var status = await _harness.Engine.InspectAsync(sandbox);
        Assert.Equal(SandboxEngineState.Running, status?.State);
        Assert.False(status!.OomKilled);
    }

    private async Task<DockerImage> LatestAsync(string provider)
    {
        var image = await DockerEngineUnderTest.Client.InspectImageAsync(RuntimeImages.Latest(provider));
        if (image is null)
        {
            Assert.Fail($"{RuntimeImages.Latest(provider)} is missing: run the tests through scripts/test, which builds the runtime images (scripts/lib/images.sh ensure_runtime_images, i.e. polydev images build).");
        }

        return image;
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(SandboxHandle sandbox, string[] command)
    {
        using var cancel = new CancellationTokenSource(Slow);
        await using var process = await _harness.Engine.ExecAsync(sandbox, new SandboxCommand(command), cancel.Token);
        var stdout = SandboxTestHarness.ReadAllAsync(process.Stdout, cancel.Token);
        var stderr = SandboxTestHarness.ReadAllAsync(process.Stderr, cancel.Token);
        await process.CloseStdinAsync();
        var exit = await process.WaitForExitAsync(cancel.Token);
        return (exit, await stdout, await stderr);
    }
}
