using System.Diagnostics;
using System.Runtime.Versioning;
using Polydev.Client.Terminal;

namespace Polydev.Client.Tests.Terminal;

/// <summary>
/// Issue 15: <c>polydev login-sessions start</c> opens the viewer with the desktop's opener when there is a desktop,
/// and says why not otherwise. The link is one argument of a fixed script, never part of it.
/// </summary>
[SupportedOSPlatform("linux")] // the desktop checks and the fake opener are Linux's
public sealed class BrowserTests
{
    private static readonly Uri Link = new("http://127.0.0.1:8080/login-sessions/0193a1b2-c3d4-7000-8000-000000000001");

    [Fact]
    public void Without_a_display_or_an_opener_it_says_why_and_starts_nothing()
    {

        var noDisplay = new Browser(_ => null, _ => true).Plan(Link);
        var noOpener = new Browser(name => name == "DISPLAY" ? ":0" : null, _ => false).Plan(Link);

        Assert.Equal((null, "DISPLAY is not set"), (noDisplay.Start, noDisplay.Unavailable));
        Assert.Equal((null, "xdg-open is not installed"), (noOpener.Start, noOpener.Unavailable));
        Assert.NotNull(new Browser(name => name == "WAYLAND_DISPLAY" ? "wayland-0" : null, _ => true).Plan(Link).Start);
    }

    [Fact]
    public async Task The_opener_gets_the_link_as_one_argument_that_no_shell_interprets_and_prints_nothing()
    {
        var bin = Directory.CreateTempSubdirectory("polydev-browser-").FullName;
        try
        {
            var received = Path.Combine(bin, "received");
            var opener = Path.Combine(bin, "xdg-open");
            await File.WriteAllTextAsync(opener, $"#!/bin/sh\nprintf '%s' \"$*\" > '{received}'\necho 'noise from the browser'\necho 'more noise' >&2\n");
            File.SetUnixFileMode(opener, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var hostile = new Uri("http://127.0.0.1:8080/login-sessions/$(touch${IFS}pwned);`touch${IFS}pwned`'\"");
            var start = new Browser(name => name == "DISPLAY" ? ":0" : null, _ => true).Plan(hostile).Start!;
            start.Environment["PATH"] = bin + ":/usr/bin:/bin";
            start.WorkingDirectory = bin;
            start.RedirectStandardOutput = start.RedirectStandardError = true;

            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.Equal(hostile.AbsoluteUri, await File.ReadAllTextAsync(received));
            Assert.Equal((0, ""), (process.ExitCode, output));
            Assert.False(File.Exists(Path.Combine(bin, "pwned")));
            Assert.DoesNotContain(start.ArgumentList.Take(2), argument => argument.Contains("login-sessions", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
