using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;
using Polydev.Server.Tests.Sandboxes.Conformance;
using Xunit.Abstractions;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>
/// The login image scripts/test built (scripts/lib/images.sh, i.e. <c>polydev images build</c>), on the real daemon, run
/// as the <c>login</c> runtime kind runs it: a sandbox from <c>polydev/login:latest</c> created through
/// <see cref="DockerSandboxEngine"/> with the kind's limits (read-only root, no capabilities, no-new-privileges, its
/// pids and memory limits, tmpfs home, scratch /tmp) and the image's own entrypoint. A missing image fails, naming
/// what to run.
/// </summary>
[Collection(SandboxRunCollection.Name)]
public sealed class LoginImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Display = ":7";

    private SandboxTestHarness _harness = null!;

    public Task InitializeAsync()
    {
        _harness = new SandboxTestHarness(DockerEngineUnderTest.NewEngine, "");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task The_image_exists_tagged_with_its_version_and_latest_labelled_as_the_login_image_with_every_cli()
    {
        var latest = await LatestAsync();

        Assert.Equal(LoginImages.Name, latest.Labels.GetValueOrDefault(LoginImages.ImageLabel));
        Assert.False(latest.Labels.ContainsKey(RuntimeImages.ProviderLabel), "the login image serves no provider's executions, so it carries no provider label");
        var version = latest.Labels.GetValueOrDefault(RuntimeImages.VersionLabel) ?? "";
        Assert.Matches("^[A-Za-z0-9_][A-Za-z0-9_.-]*-[0-9a-f]{12}$", version);
        Assert.Equal(
            string.Join(' ', RuntimeImageSetup.Pins.Providers.Select(p => $"{p.Provider}={p.Version}")),
            latest.Labels.GetValueOrDefault(LoginImages.CliVersionsLabel));

        var versioned = await DockerEngineUnderTest.Client.InspectImageAsync(LoginImages.Reference(version));
        Assert.True(versioned is not null, $"{LoginImages.Reference(version)} is missing although :latest carries that version");
        Assert.Equal(latest.Id, versioned.Id);

        // polydev images list shows it apart from the runtime images: no provider, what it is for.
        var listed = await new DockerImageCatalog(DockerEngineUnderTest.Client).ListAsync();
        var login = Assert.Single(listed, i => i.Reference == LoginImages.Reference(version));
        Assert.Equal((null, LoginImages.Name, version, true), (login.Provider, login.Image, login.Version, login.Latest));
        Assert.All(listed.Where(i => i.Provider is not null), i => Assert.Equal(RuntimeImages.Name, i.Image));
    }

    [Fact]
    public async Task A_login_sandbox_runs_xvfb_chromium_gstreamer_and_every_cli_as_the_sandbox_user_on_a_read_only_root()
    {
        var image = await LatestAsync();
        var kind = RuntimeKindServices.Login;
        var sandbox = await _harness.Engine.CreateAsync(new SandboxSpec(kind.Image, kind.Name, image.Labels[RuntimeImages.VersionLabel], _harness.OwnerId) { Limits = kind.Limits });

        var id = await RunAsync(sandbox, "id -u; id -g; id -un; touch /usr/bin/x || touch /x; echo ok > \"$HOME/w\" && cat \"$HOME/w\"");
        Assert.Equal($"{SandboxUser.Id}\n{SandboxUser.Id}\nsandbox\nok\n", id.Stdout);
        Assert.Contains("Read-only file system", id.Stderr);

        foreach (var pin in RuntimeImageSetup.Pins.Providers)
        {
            var cli = await RunAsync(sandbox, $"{pin.Executable} --version");
            output.WriteLine($"{pin.Executable} --version: {cli.Stdout.Trim()}");
            Assert.True(cli.Exit == 0, $"{pin.Executable} --version exited {cli.Exit}: {cli.Stderr}");
            Assert.Contains(pin.Version, cli.Stdout);
        }

        var chromium = await RunAsync(sandbox, "chromium --version");
        output.WriteLine(chromium.Stdout.Trim());
        Assert.Matches(@"^Chromium \d+\.", chromium.Stdout);

        // Every element the login agent's pipeline names, from the registry made at build time: nothing is scanned or
        // written under the home.
        var gst = await RunAsync(sandbox, """
            for e in ximagesrc videoconvert vp8enc x264enc rtpvp8pay rtph264pay webrtcbin nicesrc dtlssrtpenc; do
              gst-inspect-1.0 "$e" > /dev/null && echo "$e"
            done
            test -e "$HOME/.cache/gstreamer-1.0" && echo "registry written to the home"
            """);
        Assert.Equal("ximagesrc\nvideoconvert\nvp8enc\nx264enc\nrtpvp8pay\nrtph264pay\nwebrtcbin\nnicesrc\ndtlssrtpenc\n", gst.Stdout);

        // Xvfb as the sandbox user: its socket directory /tmp/.X11-unix is made under the scratch /tmp (Xvfb warns that a
        // non-root server cannot make it root-owned, and goes on).
        var xvfb = await RunAsync(sandbox, $"""
            Xvfb {Display} -screen 0 1280x800x24 -nolisten tcp > /tmp/xvfb.log 2>&1 < /dev/null &
            for i in $(seq 50); do [ -S /tmp/.X11-unix/X{Display[1..]} ] && break; sleep 0.1; done
            DISPLAY={Display} xrandr
            """);
        Assert.True(xvfb.Exit == 0, $"xrandr on Xvfb exited {xvfb.Exit}: {xvfb.Stderr}\n{(await RunAsync(sandbox, "cat /tmp/xvfb.log")).Stdout}");
        Assert.Contains("current 1280 x 800", xvfb.Stdout);

        // The browser on that screen, as the login agent starts it; then the screen through both encoders.
        await RunAsync(sandbox, $"""
            printf '<html><body style="background:#3366cc"><h1>polydev</h1><input autofocus></body></html>' > /tmp/page.html
            DISPLAY={Display} chromium --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --no-default-browser-check \
              --user-data-dir="$HOME/.config/polydev-login-browser" --window-position=0,0 --window-size=1280,800 file:///tmp/page.html \
              > /tmp/chromium.log 2>&1 < /dev/null &
            """);

        // The page's colour (#3366cc) below the browser's bars, read from the screen as the stream will read it (pointer left out: it sits at the centre).
        var frame = await RunAsync(sandbox, $"""
            for i in $(seq 30); do
              gst-launch-1.0 -q ximagesrc display-name={Display} use-damage=false show-pointer=false num-buffers=1 ! videoconvert ! video/x-raw,format=RGB ! filesink location=/tmp/frame.rgb
              pixel="$(od -An -tu1 -j $(( (600 * 1280 + 900) * 3 )) -N3 /tmp/frame.rgb | tr -s ' ')"
              [ "$pixel" = " 51 102 204" ] && break
              sleep 1
            done
            echo "$pixel"
            """);
        Assert.True(frame.Stdout == " 51 102 204\n", $"the screen below the bars is not the page's blue: '{frame.Stdout.Trim()}' {frame.Stderr}\n{(await RunAsync(sandbox, "tail -5 /tmp/chromium.log")).Stdout}");

        var encoders = await RunAsync(sandbox, $"""
            gst-launch-1.0 -q ximagesrc display-name={Display} use-damage=false num-buffers=5 ! videoconvert ! vp8enc deadline=1 ! fakesink && echo vp8
            gst-launch-1.0 -q ximagesrc display-name={Display} use-damage=false num-buffers=5 ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast ! fakesink && echo h264
            """);
        Assert.True(encoders.Stdout == "vp8\nh264\n", $"encoding the screen failed: {encoders.Stdout} {encoders.Stderr}");

        var usage = await RunAsync(sandbox, """
            echo "chromium processes: $(pgrep -c chromium)"
            echo "pids: $(cat /sys/fs/cgroup/pids.current 2>/dev/null || cat /sys/fs/cgroup/pids/pids.current)"
            echo "memory MiB: $(( $(cat /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.usage_in_bytes) / 1048576 ))"
            echo "home: $(du -sm "$HOME" | cut -f1) MiB, /tmp: $(du -sm /tmp 2>/dev/null | cut -f1) MiB"
            """);
        output.WriteLine(usage.Stdout);
        Assert.Matches(@"chromium processes: [1-9]", usage.Stdout);
        var status = await _harness.Engine.InspectAsync(sandbox);
        Assert.Equal(SandboxEngineState.Running, status?.State);
        Assert.False(status!.OomKilled);
    }

    private static async Task<DockerImage> LatestAsync()
    {
        var image = await DockerEngineUnderTest.Client.InspectImageAsync(LoginImages.Latest);
        if (image is null)
        {
            Assert.Fail($"{LoginImages.Latest} is missing: run the tests through scripts/test, which builds it (scripts/lib/images.sh ensure_runtime_images, i.e. polydev images build).");
        }

        return image;
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(SandboxHandle sandbox, string script)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var process = await _harness.Engine.ExecAsync(sandbox, new SandboxCommand(["sh", "-c", script]), cancel.Token);
        var stdout = SandboxTestHarness.ReadAllAsync(process.Stdout, cancel.Token);
        var stderr = SandboxTestHarness.ReadAllAsync(process.Stderr, cancel.Token);
        await process.CloseStdinAsync();
        var exit = await process.WaitForExitAsync(cancel.Token);
        return (exit, await stdout, await stderr);
    }
}
