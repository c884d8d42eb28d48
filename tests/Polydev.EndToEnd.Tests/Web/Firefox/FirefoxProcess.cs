using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Polydev.EndToEnd.Tests.Web.Firefox;

/// <summary>
/// One headless firefox-esr on a fresh profile, serving WebDriver BiDi on a port it picks itself
/// (<c>--remote-debugging-port=0</c>); <see cref="BiDiUrl"/> is what it announces on stderr. Disposing kills it with
/// its content processes and deletes the profile.
/// </summary>
public sealed partial class FirefoxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;

    private FirefoxProcess(Process process, string profile, Uri biDiUrl)
    {
        _process = process;
        _profile = profile;
        BiDiUrl = biDiUrl;
    }

    /// <summary>The session endpoint, <c>ws://127.0.0.1:PORT/session</c>.</summary>
    public Uri BiDiUrl { get; }

    public static async Task<FirefoxProcess> StartAsync(string executable, TimeSpan timeout)
    {
        var profile = Directory.CreateTempSubdirectory("polydev-firefox-").FullName;
        // Nothing the test does should wait on a password manager prompt or a first-run page. The remote agent sets
        // its own recommended automation preferences on top (no updates, telemetry or background tabs).
        await File.WriteAllLinesAsync(Path.Combine(profile, "user.js"),
        [
            """user_pref("signon.rememberSignons", false);""",
            """user_pref("browser.shell.checkDefaultBrowser", false);""",
            """user_pref("browser.startup.homepage_override.mstone", "ignore");""",
        ]);

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--headless", "--no-remote", "--remote-debugging-port=0", "--profile", profile, "about:blank" })
        {
            start.ArgumentList.Add(argument);
        }

        // Firefox says where BiDi listens on stderr; everything else it prints is kept for the failure message.
        var announced = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }

            output.Enqueue(line.Data);
            if (ListeningLine().Match(line.Data) is { Success: true } match)
            {
                announced.TrySetResult(new Uri(match.Groups["url"].Value.TrimEnd('/') + "/session"));
            }
        };
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) output.Enqueue(line.Data); };
        process.Exited += (_, _) => announced.TrySetException(new InvalidOperationException(
            $"firefox exited with code {process.ExitCode} before serving WebDriver BiDi:\n{string.Join('\n', output)}"));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        try
        {
            var url = await announced.Task.WaitAsync(timeout);
            return new FirefoxProcess(process, profile, url);
        }
        catch (TimeoutException)
        {
            Kill(process);
            throw new TimeoutException($"firefox did not announce WebDriver BiDi within {timeout.TotalSeconds} s:\n{string.Join('\n', output)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A content process may still be closing a file; a leftover temp profile is harmless.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    [GeneratedRegex(@"WebDriver BiDi listening on (?<url>ws://\S+)")]
    private static partial Regex ListeningLine();
}
