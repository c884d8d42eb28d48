using System.Net;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using Polydev.Testing;

namespace Polydev.Bench;

/// <summary>
/// Login sessions (issue 15), through the real server, the real login image and the real coturn, with the web client's
/// viewer in Debian's chromium:
/// (1) input-to-photon: a real key press in the viewer → the sandbox's page swaps colour → the first viewer frame that
/// shows it (WebRTC: <c>requestVideoFrameCallback</c>'s presentation time; VNC: the first animation frame whose noVNC
/// canvas shows it), for WebRTC with VP8 and with H.264 and for the sealed VNC fallback, on the host's own link and
/// from a network namespace shaped to 40 ms RTT and 1 % loss each way (<see cref="NetemNamespace"/>: a userspace
/// delay and iptables loss, since this kernel has no netem);
/// (2) per streaming session at 1280×800 with a page that changes every frame: the sandbox's CPU and memory (its
/// cgroup), the frame rate the viewer decodes, for 1, 2, … sessions until one falls below 25 fps.
/// </summary>
internal static class LoginBenchmark
{
    private const string Password = "bench password, long enough";

    private static readonly Dictionary<string, int> Missed = [];

    public sealed record Settings(int Presses, int MaxSessions);

    public static async Task RunAsync(Settings settings)
    {
        var chromium = Environment.GetEnvironmentVariable("POLYDEV_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        using var netns = NetemNamespace.Create(chromium);
        await using var server = await LoginBenchServer.StartAsync(NetemNamespace.HostAddress, warmTarget: Math.Max(2, settings.MaxSessions));
        var host = IPAddress.Parse(NetemNamespace.HostAddress);
        await using var turnRelay = DelayRelay.Start(new IPEndPoint(host, server.TurnPort), new IPEndPoint(IPAddress.Loopback, server.TurnPort), udp: true, tcp: true);
        await using var httpRelay = DelayRelay.Start(new IPEndPoint(host, server.Port), new IPEndPoint(IPAddress.Loopback, server.Port), udp: false, tcp: true);
        var shapedUrl = $"http://{NetemNamespace.HostAddress}:{server.Port}";
        using var playwright = await Playwright.CreateAsync();
        await using var local = await LaunchAsync(playwright, chromium, server.Url);
        await using var shaped = await LaunchAsync(playwright, netns.BrowserWrapper, shapedUrl);
        var users = new List<string>();
        for (int i = 0; i < Math.Max(1, settings.MaxSessions); i++)
        {
            using var cli = new PolydevCli(server.Url);
            var email = $"login-bench-{i}-{Guid.NewGuid():N}@example.test";
            await cli.SignUpAsync(email, Password);
            users.Add(email);
        }

        Console.WriteLine($"login sessions: {settings.Presses} key presses per row, the viewer's page 1280x800, ICE relayed through the embedded coturn");
        Console.WriteLine();
        Console.WriteLine("| network | path | codec | presses shown | missed (no frame within 10 s) | p50 ms | p95 ms | max ms | vs WebRTC VP8 on this network (p50) |");
        Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (network, browser, url, shapedPath) in new[] { ("loopback", local, server.Url, false), ("40 ms RTT, 1 % loss each way", shaped, shapedUrl, true) })
        {
            turnRelay.OneWay = httpRelay.OneWay = shapedPath ? TimeSpan.FromMilliseconds(20) : TimeSpan.Zero;
            netns.Loss(shapedPath ? 1 : 0);
            var page = await SignedInPageAsync(browser, url, users[0]);
            Latencies? baseline = null;
            foreach (var (path, codec) in new[] { ("webrtc", "vp8"), ("webrtc", "h264"), ("vnc", "-") })
            {
                await server.WaitForWarmAsync(1, TimeSpan.FromMinutes(2));
                var latencies = await InputToPhotonAsync(page, path, codec, settings.Presses, server);
                if (latencies.Count == 0)
                {
                    Console.WriteLine($"| {network} | {path} | {codec} | 0 | {Missed.GetValueOrDefault(latencies.Name)} | - | - | - | - |");
                    Missed.Remove(latencies.Name);
                    continue;
                }

                baseline ??= latencies;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {network} | {path} | {codec} | {latencies.Count} | {Missed.GetValueOrDefault(latencies.Name)} | {latencies.Percentile(50):0.0} | {latencies.Percentile(95):0.0} | {latencies.Percentile(100):0.0} | {latencies.Percentile(50) / baseline.Percentile(50):0.00} |"));
                Missed.Remove(latencies.Name);
            }

            await page.Context.CloseAsync();
        }

        turnRelay.OneWay = httpRelay.OneWay = TimeSpan.Zero;
        netns.Loss(0);
        Console.WriteLine();
        await CapacityAsync(local, server, users, settings.MaxSessions);
    }

    private static async Task<Latencies> InputToPhotonAsync(IPage page, string path, string codec, int presses, LoginBenchServer server)
    {
        await OpenViewerAsync(page, LoginTestPage.ToggleDataUrl, path == "vnc" ? "&path=vnc" : $"&codec={codec}", path);
        var vnc = path == "vnc";
        var surface = page.Locator(vnc ? ".remote-vnc canvas" : "video.remote-video");
        await page.EvaluateAsync(ArmScript, vnc);
        var latencies = new Latencies($"{path} {codec}");
        for (int i = 0; i < presses + 2; i++)
        {
            await surface.FocusAsync();
            await page.EvaluateAsync("() => window.__arm()");
            await page.Keyboard.PressAsync("a");
            var ms = await page.EvaluateAsync<double>("() => window.__result");
            if (ms < 0)
            {
                // No frame showed it within 10 s: counted apart, and the page is back in step after the next press.
                Missed[latencies.Name] = Missed.GetValueOrDefault(latencies.Name) + 1;
            }
            else if (i >= 2)
            {
                latencies.Add(ms);
            }

            await Task.Delay(150);
        }

        await EndAsync(page);
        return latencies;
    }

    /// <summary>
    /// Watches the screen from just before a key press: the press's time is taken by a capture listener on window (the
    /// viewer's own handler runs after it), the colour at 60 %/60 % of the remote screen is read on every new frame.
    /// </summary>
    private const string ArmScript = """
        vnc => {
          const probe = document.createElement('canvas');
          probe.width = probe.height = 1;
          const g = probe.getContext('2d', { willReadFrequently: true });
          const video = document.querySelector('video.remote-video');
          const source = () => vnc ? document.querySelector('.remote-vnc canvas') : video;
          const red = () => {
            const s = source(); const w = s.videoWidth || s.width, h = s.videoHeight || s.height;
            g.drawImage(s, w * 0.6, h * 0.6, 1, 1, 0, 0, 1, 1);
            return g.getImageData(0, 0, 1, 1).data[0];
          };
          const next = vnc ? cb => requestAnimationFrame(cb) : cb => video.requestVideoFrameCallback((now, meta) => cb(meta.presentationTime ?? now));
          window.__arm = () => {
            const before = red();
            let pressed = null;
            window.addEventListener('keydown', () => { pressed ??= performance.now(); }, { capture: true, once: true });
            window.__result = new Promise((resolve, reject) => {
              const give_up = setTimeout(() => resolve(-1), 10000);
              const tick = at => {
                if (pressed !== null && Math.abs(red() - before) > 128) { clearTimeout(give_up); resolve(Math.max(0, at - pressed)); return; }
                next(tick);
              };
              next(tick);
            });
          };
        }
        """;

    /// <summary>1, 2, … sessions at once (one user each), the animated page at 1280×800 over WebRTC (VP8 and H.264).</summary>
    private static async Task CapacityAsync(IBrowser browser, LoginBenchServer server, IReadOnlyList<string> users, int maxSessions)
    {
        Console.WriteLine("per streaming session at 1280x800, 30 fps offered, a page that changes every frame (sandbox cgroup; the viewers' chromium runs on the same 2 cores)");
        Console.WriteLine();
        Console.WriteLine("| codec | sessions | viewer fps min | viewer fps mean | sandbox CPU per session (cores) | sandbox memory per session MiB | host CPU busy % |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var codec in new[] { "vp8", "h264" })
        {
            for (int sessions = 1; sessions <= maxSessions; sessions++)
            {
                await server.WaitForWarmAsync(sessions, TimeSpan.FromMinutes(3));
                var pages = new List<IPage>();
                foreach (var user in users.Take(sessions))
                {
                    var page = await SignedInPageAsync(browser, server.Url, user);
                    await OpenViewerAsync(page, LoginTestPage.AnimatedDataUrl, $"&codec={codec}", "webrtc");
                    pages.Add(page);
                }

                await Task.Delay(TimeSpan.FromSeconds(6));
                var before = LoginContainers.Sample();
                var hostBefore = HostCpu.Sample();
                var fps = pages.Select(_ => new List<double>()).ToList();
                for (int second = 0; second < 10; second++)
                {
                    await Task.Delay(1000);
                    for (int i = 0; i < pages.Count; i++)
                    {
                        if (await pages[i].Locator(".viewer-quality").GetAttributeAsync("data-fps") is { } text && double.TryParse(text, CultureInfo.InvariantCulture, out var value))
                        {
                            fps[i].Add(value);
                        }
                    }
                }

                var after = LoginContainers.Sample();
                var busy = HostCpu.BusyPercent(hostBefore, HostCpu.Sample());
                var (cores, memory) = LoginContainers.PerSession(before, after, sessions);
                var means = fps.Select(f => f.Count == 0 ? 0 : f.Average()).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {codec} | {sessions} | {means.Min():0.0} | {means.Average():0.0} | {cores:0.00} | {memory / 1048576.0:0} | {busy:0} |"));
                foreach (var page in pages)
                {
                    await EndAsync(page);
                    await page.Context.CloseAsync();
                }

                if (means.Min() < 25)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Web Crypto needs a secure context, and the server is reached at the veth's address over plain HTTP (as a remote
    /// user would reach it over HTTPS): the browser is told to treat that one origin as secure.
    /// </summary>
    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright, string executable, string origin) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            ChromiumSandbox = Environment.UserName != "root",
            Args = [$"--unsafely-treat-insecure-origin-as-secure={origin}"],
        });

    private static async Task<IPage> SignedInPageAsync(IBrowser browser, string url, string email)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url, ViewportSize = new() { Width = 1400, Height = 1100 } });
        context.SetDefaultTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("[data-page=chats]").WaitForAsync();
        return page;
    }

    /// <summary>Opens the viewer inside the app (a reload would lock the keys away) and waits until it streams.</summary>
    private static async Task OpenViewerAsync(IPage page, string startUrl, string query, string path)
    {
        await page.EvaluateAsync("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }",
            $"/login-sessions/new?url={Uri.EscapeDataString(startUrl)}&ice=relay&size=1280x800{query}");
        var streaming = page.Locator($".viewer-status[data-state=streaming][data-path={path}]");
        await streaming.WaitForAsync(new() { Timeout = 90_000 });
        if (path == "vnc")
        {
            await page.Locator(".remote-vnc canvas").WaitForAsync();
        }
    }

    private static async Task EndAsync(IPage page)
    {
        await page.Locator("[data-action=end]").ClickAsync();
        await page.Locator(".viewer-status[data-state=ended]").WaitForAsync(new() { Timeout = 30_000 });
        await page.EvaluateAsync("() => { history.pushState(null, '', '/chats'); dispatchEvent(new PopStateEvent('popstate')); }");
    }
}

/// <summary>CPU time and memory of the login sandboxes, from their cgroups (v1: cpuacct and memory under docker/).</summary>
internal static class LoginContainers
{
    public sealed record Reading(string Id, long CpuNanoseconds, long MemoryBytes, long At);

    public static IReadOnlyList<Reading> Sample()
    {
        var ids = Run("docker", "ps", "-q", "--no-trunc", "--filter", "label=dev.polydev.runtime=login").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var at = Stopwatch.GetTimestamp();
        return [.. ids.Select(id => new Reading(id, ReadLong($"/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage"), ReadLong($"/sys/fs/cgroup/memory/docker/{id}/memory.usage_in_bytes"), at))];
    }

    /// <summary>The busiest <paramref name="sessions"/> containers (the streaming ones; warm ones idle): mean cores and memory each.</summary>
    public static (double Cores, double MemoryBytes) PerSession(IReadOnlyList<Reading> before, IReadOnlyList<Reading> after, int sessions)
    {
        var busiest = after
            .Select(a => (After: a, Before: before.FirstOrDefault(b => b.Id == a.Id)))
            .Where(p => p.Before is not null)
            .Select(p => (Cores: (p.After.CpuNanoseconds - p.Before!.CpuNanoseconds) / 1e9 / Stopwatch.GetElapsedTime(p.Before.At, p.After.At).TotalSeconds, Memory: (double)p.After.MemoryBytes))
            .OrderByDescending(p => p.Cores)
            .Take(sessions)
            .ToList();
        return busiest.Count == 0 ? (0, 0) : (busiest.Average(p => p.Cores), busiest.Average(p => p.Memory));
    }

    private static long ReadLong(string path) => File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), out var value) ? value : 0;

    private static string Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}

/// <summary>The host's CPU from /proc/stat.</summary>
internal static class HostCpu
{
    public static (long Busy, long Total) Sample()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        long idle = fields[3] + fields[4];
        long total = fields.Take(8).Sum();
        return (total - idle, total);
    }

    public static double BusyPercent((long Busy, long Total) before, (long Busy, long Total) after) =>
        after.Total == before.Total ? 0 : 100.0 * (after.Busy - before.Busy) / (after.Total - before.Total);
}
