using System.Diagnostics;
using Polydev.Agent.Login.Input;

namespace Polydev.Agent.Login.Desktop;

/// <summary>
/// The login sandbox's screen: an Xvfb display as large as any size the viewer may ask for, and one plain Chromium
/// window (not driven over CDP: providers refuse sign-in from automated browsers) placed at the top left at the
/// viewer's size. The stream captures that rectangle, so a resize moves the window and the capture, not the display
/// (this Xvfb cannot change its screen size at run time).
/// </summary>
internal sealed class RemoteDesktop : IAsyncDisposable
{
    private readonly Process _xvfb;
    private readonly Process _browser;

    private RemoteDesktop(string display, Process xvfb, Process browser, int width, int height)
    {
        Display = display;
        _xvfb = xvfb;
        _browser = browser;
        Width = width;
        Height = height;
    }

    public string Display { get; }

    public int Width { get; private set; }

    public int Height { get; private set; }

    public bool BrowserExited => _browser.HasExited;

    /// <summary>Starts Xvfb (<paramref name="screen"/> is its full size) and Chromium showing <paramref name="startUrl"/> at <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <param name="proxy">The browser's only way out (the session's <see cref="Connect.EgressForwarder"/>); null: none.</param>
    public static async Task<RemoteDesktop> StartAsync(DesktopSettings settings, int width, int height, string? startUrl, string? proxy, CancellationToken cancellationToken)
    {
        (width, height) = settings.Fit(width, height);
        // -displayfd: Xvfb takes the first free display and says which; no number to collide with another X server.
        Process xvfb = Start("Xvfb", ["-displayfd", "1", "-screen", "0", $"{settings.MaxWidth}x{settings.MaxHeight}x24", "-nolisten", "tcp", "-nolisten", "unix-abstract", "-noreset", "+extension", "XTEST"], null, readOutput: false);
        try
        {
            string display = await ReadDisplayAsync(xvfb, cancellationToken);
            Process browser = Start(settings.Browser, BrowserArguments(settings, width, height, startUrl, proxy), display);
            var desktop = new RemoteDesktop(display, xvfb, browser, width, height);
            await desktop.WaitForWindowAsync(cancellationToken);
            return desktop;
        }
        catch
        {
            Stop(xvfb);
            throw;
        }
    }

    /// <summary>Moves and sizes the browser's window to the new viewer size; the caller then moves the capture.</summary>
    public void Resize(DesktopSettings settings, int width, int height)
    {
        (Width, Height) = settings.Fit(width, height);
        using var windows = BrowserWindows.Open(Display);
        windows.PlaceAll(Width, Height);
    }

    private static List<string> BrowserArguments(DesktopSettings settings, int width, int height, string? startUrl, string? proxy) =>
    [
        // Loopback stays direct (Chromium never proxies it): a CLI's login callback on localhost lands in this sandbox.
        .. proxy is null ? (string[])[] : [$"--proxy-server={proxy}"],
        // The container is the sandbox: Chromium's own needs namespaces the sandbox user may not make.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=Translate,MediaRouter,OptimizationHints",
        "--password-store=basic",
        $"--user-data-dir={settings.ProfileDirectory}",
        "--window-position=0,0",
        $"--window-size={width},{height}",
        startUrl ?? "about:blank",
    ];

    private static Process Start(string program, List<string> arguments, string? display, bool readOutput = true)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (display is not null)
        {
            start.Environment["DISPLAY"] = display;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started.");
        // Their chatter is not the viewer's business and must not fill a pipe and stall them.
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        if (readOutput)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<string> ReadDisplayAsync(Process xvfb, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        string? line;
        try
        {
            line = await xvfb.StandardOutput.ReadLineAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("Xvfb did not name its display within 10 s.");
        }

        if (!int.TryParse(line, out int number))
        {
            throw new InvalidOperationException(xvfb.HasExited ? $"Xvfb exited with status {xvfb.ExitCode} before its display was up." : "Xvfb named no display.");
        }

        return ":" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task WaitForWindowAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < 300; i++)
        {
            if (_browser.HasExited)
            {
                throw new InvalidOperationException($"The browser exited with status {_browser.ExitCode} before it showed a window.");
            }

            using (var windows = BrowserWindows.Open(Display))
            {
                if (windows.AnyMapped())
                {
                    return;
                }
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException("The browser showed no window within 15 s.");
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Stop(_browser);
        Stop(_xvfb);
        return ValueTask.CompletedTask;
    }
}
