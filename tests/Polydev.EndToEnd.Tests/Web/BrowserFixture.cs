using System.Runtime.InteropServices;
using Microsoft.Playwright;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>
/// One headless Debian chromium per test class (<c>IClassFixture&lt;BrowserFixture&gt;</c>), driven by Playwright for
/// .NET; each test opens its own <see cref="BrowserSession"/> (a fresh context: no cookies, storage or cache shared).
/// The browser is <c>POLYDEV_CHROMIUM</c> (scripts/test sets it), default <c>/usr/bin/chromium</c>. Playwright's own
/// browser builds are never used, so nothing is downloaded; the driver's Node ships inside the NuGet package.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string DefaultChromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started yet.");

    public async Task InitializeAsync()
    {
        var chromium = BrowserExecutable.Require("POLYDEV_CHROMIUM", DefaultChromium, "chromium");

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Chromium refuses to start its sandbox as root; anyone else keeps it.
            ChromiumSandbox = !RunningAsRoot,
            Timeout = 60_000,
        });
    }

    /// <summary>A new context and page; dispose it at the end of the test.</summary>
    public Task<BrowserSession> NewSessionAsync(string baseUrl, BrowserViewport? viewport = null) =>
        BrowserSession.OpenAsync(Browser, baseUrl, viewport ?? BrowserViewport.Desktop);

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    private static bool RunningAsRoot => !OperatingSystem.IsWindows() && GetEffectiveUserId() == 0;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
