using OpenQA.Selenium.BiDi;
using OpenQA.Selenium.BiDi.Session;

namespace Polydev.EndToEnd.Tests.Web.Firefox;

/// <summary>
/// One headless Debian firefox-esr per test class (<c>IClassFixture&lt;FirefoxFixture&gt;</c>), driven over WebDriver
/// BiDi: Firefox serves it itself, so Selenium's BiDi client connects straight to its websocket — no geckodriver, no
/// Playwright build of Firefox. Each test opens its own <see cref="FirefoxPage"/> (a tab in a fresh user context: no
/// cookies or storage shared). The browser is <c>POLYDEV_FIREFOX</c> (scripts/test sets it), default
/// <c>/usr/bin/firefox-esr</c>.
/// </summary>
public sealed class FirefoxFixture : IAsyncLifetime
{
    public const string DefaultFirefox = "/usr/bin/firefox-esr";

    private FirefoxProcess? _process;
    private IBiDi? _biDi;

    public IBiDi BiDi => _biDi ?? throw new InvalidOperationException("Firefox is not started yet.");

    /// <summary>The browser's version as its BiDi session reported it, e.g. "153.8.0".</summary>
    public string Version { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var firefox = BrowserExecutable.Require("POLYDEV_FIREFOX", DefaultFirefox, "firefox-esr");

        _process = await FirefoxProcess.StartAsync(firefox, TimeSpan.FromSeconds(60));
        _biDi = await OpenQA.Selenium.BiDi.BiDi.ConnectAsync(_process.BiDiUrl, null, CancellationToken.None);
        var session = await _biDi.NewAsync(new CapabilitiesRequest(), null, CancellationToken.None);
        Version = session.Capabilities.BrowserVersion ?? "";
    }

    /// <summary>A new tab in its own user context, at <paramref name="baseUrl"/>'s origin; dispose it at the end of the test.</summary>
    public Task<FirefoxPage> NewPageAsync(string baseUrl) => FirefoxPage.OpenAsync(BiDi, new Uri(baseUrl));

    public async Task DisposeAsync()
    {
        // Our side closes the websocket, then the browser goes. (Had Firefox closed it first, on browser.close or
        // session.end, Selenium would log the closed connection as an error.)
        if (_biDi is not null)
        {
            await _biDi.DisposeAsync();
        }

        if (_process is not null)
        {
            // Kills Firefox with its content processes and deletes the profile.
            await _process.DisposeAsync();
        }
    }
}
