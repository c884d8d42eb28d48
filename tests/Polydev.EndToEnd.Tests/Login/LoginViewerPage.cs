using Microsoft.Playwright;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>The web client's login viewer (web/src/app/login) as a test drives and reads it.</summary>
internal sealed class LoginViewerPage(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Status => Page.Locator(".viewer-status");

    public ILocator Video => Page.Locator("video.remote-video");

    /// <summary>Goes to the viewer inside the app (as its links do: a reload would lock the keys away).</summary>
    public async Task OpenNewAsync(string startUrl, string query = "")
    {
        await Page.EvaluateAsync("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }",
            $"/login-sessions/new?url={Uri.EscapeDataString(startUrl)}{query}");
        await Page.Locator("[data-page=login-session]").WaitForAsync();
    }

    /// <summary>Waits until the viewer streams over <paramref name="path"/> (webrtc or vnc); fails with what the page says otherwise.</summary>
    public async Task WaitForStreamingAsync(string path, float timeoutMs = 60_000)
    {
        try
        {
            await Page.Locator($".viewer-status[data-state=streaming][data-path={path}]").WaitForAsync(new() { Timeout = timeoutMs });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The viewer did not stream over {path}: status '{await Status.TextContentAsync()}' ({await Status.GetAttributeAsync("data-state")}/{await Status.GetAttributeAsync("data-path")}), ending '{await Page.Locator(".viewer-ending").TextContentAsync()}'.");
        }
    }

    /// <summary>Waits until the screen (the video, or noVNC's canvas on the fallback) shows <paramref name="hex"/> at its centre; returns what it saw.</summary>
    public Task<string> WaitForColourAsync(string hex, int timeoutMs = 20_000) => Page.EvaluateAsync<string>("""
        async ([hex, timeout]) => {
          const want = [1, 3, 5].map(i => parseInt(hex.substr(i, 2), 16));
          const probe = document.createElement('canvas');
          probe.width = probe.height = 1;
          const c = probe.getContext('2d', { willReadFrequently: true });
          let seen = 'no frame';
          const end = performance.now() + timeout;
          while (performance.now() < end) {
            const video = document.querySelector('video.remote-video');
            const vnc = document.querySelector('.remote-vnc canvas');
            const source = video && !video.hidden && video.videoWidth > 0 ? video : vnc && vnc.width > 0 ? vnc : null;
            if (source) {
              const w = source.videoWidth || source.width, h = source.videoHeight || source.height;
              c.drawImage(source, w * 0.6, h * 0.6, 1, 1, 0, 0, 1, 1);
              const d = c.getImageData(0, 0, 1, 1).data;
              seen = `rgb(${d[0]},${d[1]},${d[2]}) ${w}x${h}`;
              if (want.every((v, i) => Math.abs(v - d[i]) <= 40)) return 'ok ' + seen;
            }
            await new Promise(r => setTimeout(r, 50));
          }
          return seen;
        }
        """, new object[] { hex, timeoutMs });

    /// <summary>Clicks the remote screen at a point 60 % across and down.</summary>
    public async Task ClickScreenAsync(string selector = "video.remote-video")
    {
        var box = await Page.Locator(selector).BoundingBoxAsync() ?? throw new InvalidOperationException($"{selector} is not shown.");
        await Page.Mouse.ClickAsync(box.X + box.Width * 0.6f, box.Y + box.Height * 0.6f);
    }

    public async Task<string> RemoteClipboardAsync(string expected, float timeoutMs = 10_000)
    {
        var output = Page.Locator("[data-remote-clipboard]");
        try
        {
            await Assertions.Expect(output).ToHaveTextAsync(expected, new() { Timeout = timeoutMs });
        }
        catch (PlaywrightException)
        {
        }

        return await output.TextContentAsync() ?? "";
    }

    public async Task<string> EndingAsync(float timeoutMs = 30_000)
    {
        var ending = Page.Locator(".viewer-ending:not([hidden])");
        await ending.WaitForAsync(new() { Timeout = timeoutMs });
        return await ending.TextContentAsync() ?? "";
    }
}
