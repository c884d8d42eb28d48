using Microsoft.Playwright;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>One test's browser context and page, with everything the page sends recorded in <see cref="Log"/>.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private BrowserSession(IBrowserContext context, IPage page, RequestLog log, BrowserViewport viewport)
    {
        Context = context;
        Page = page;
        Log = log;
        Viewport = viewport;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public RequestLog Log { get; }

    public BrowserViewport Viewport { get; }

    internal static async Task<BrowserSession> OpenAsync(IBrowser browser, string baseUrl, BrowserViewport viewport)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            IsMobile = viewport.IsMobile,
            HasTouch = viewport.IsMobile,
            DeviceScaleFactor = viewport.DeviceScaleFactor,
            Locale = "en-US",
            TimezoneId = "UTC",
            // Service workers would hide requests from the log.
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        context.SetDefaultTimeout(15_000);
        var log = new RequestLog();
        await log.AttachAsync(context);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page, log, viewport);
    }

    /// <summary>
    /// Saves the whole page as <c>&lt;name&gt;.png</c> (<c>&lt;name&gt;-phone.png</c> on the phone viewport) into
    /// <c>POLYDEV_SCREENSHOTS_DIR</c> when set (scripts/screenshots points it at docs/screenshots), else into
    /// <c>screenshots/</c> in the test output directory; <paramref name="directory"/> overrides both. Returns the
    /// file's path.
    /// </summary>
    public async Task<string> ScreenshotAsync(string name, string? directory = null)
    {
        directory ??= Environment.GetEnvironmentVariable("POLYDEV_SCREENSHOTS_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var suffix = Viewport == BrowserViewport.Desktop ? "" : "-" + Viewport.Name;
        var path = Path.Combine(directory, $"{name}{suffix}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
