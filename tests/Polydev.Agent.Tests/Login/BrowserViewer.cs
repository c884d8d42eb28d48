using Microsoft.Playwright;

namespace Polydev.Agent.Tests.Login;

/// <summary>
/// A bare WebRTC viewer in Debian's chromium: a peer connection, a video element and the input channel, driven from
/// the test, which carries the signals itself (the web client's viewer is tested end to end elsewhere).
/// </summary>
internal sealed class BrowserViewer : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private BrowserViewer(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    public static async Task<BrowserViewer> OpenAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("POLYDEV_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium",
            ChromiumSandbox = false,
            // Host candidates as addresses, not mDNS names GStreamer's ICE agent cannot resolve.
            Args = ["--disable-features=WebRtcHideLocalIpsWithMdns"],
        });
        var page = await browser.NewPageAsync();
        await page.SetContentAsync("<video id=v autoplay muted playsinline></video><canvas id=c width=16 height=16></canvas>");
        await page.EvaluateAsync("""
            () => {
              window.pc = new RTCPeerConnection();
              window.notices = [];
              window.localCandidates = [];
              pc.onicecandidate = e => e.candidate && localCandidates.push({ candidate: e.candidate.candidate, m: e.candidate.sdpMLineIndex });
              pc.ontrack = e => { document.getElementById('v').srcObject = e.streams[0] || new MediaStream([e.track]); };
              pc.ondatachannel = e => { window.dc = e.channel; e.channel.onmessage = m => notices.push(JSON.parse(m.data)); };
            }
            """);
        return new BrowserViewer(playwright, browser, page);
    }

    public Task<string> AnswerAsync(string offer) => Page.EvaluateAsync<string>("""
        async offer => {
          await pc.setRemoteDescription({ type: 'offer', sdp: offer });
          await pc.setLocalDescription(await pc.createAnswer());
          return pc.localDescription.sdp;
        }
        """, offer);

    public Task AddCandidateAsync(string candidate, int mLineIndex) =>
        Page.EvaluateAsync("c => pc.addIceCandidate({ candidate: c.candidate, sdpMLineIndex: c.m })", new { candidate, m = mLineIndex });

    /// <summary>The viewer's ICE candidates gathered since the last call.</summary>
    public async Task<IReadOnlyList<(string Candidate, int MLineIndex)>> TakeCandidatesAsync()
    {
        var taken = await Page.EvaluateAsync<CandidateJson[]>("() => localCandidates.splice(0)");
        return taken.Select(c => (c.Candidate, c.M)).ToList();
    }

    /// <summary>Waits until the centre of the video shows <paramref name="hex"/> (±40 per channel); returns what it last saw.</summary>
    public Task<string> WaitForColourAsync(string hex, int timeoutMs = 15_000) => Page.EvaluateAsync<string>("""
        async ([hex, timeout]) => {
          const want = [1, 3, 5].map(i => parseInt(hex.substr(i, 2), 16));
          const v = document.getElementById('v');
          const c = document.getElementById('c').getContext('2d');
          let seen = 'no frame';
          const end = performance.now() + timeout;
          while (performance.now() < end) {
            if (v.videoWidth > 0) {
              c.drawImage(v, 0, 0, 16, 16);
              const d = c.getImageData(12, 12, 1, 1).data;
              seen = `rgb(${d[0]},${d[1]},${d[2]}) ${v.videoWidth}x${v.videoHeight}`;
              if (want.every((w, i) => Math.abs(w - d[i]) <= 40)) return 'ok ' + seen;
            }
            await new Promise(r => setTimeout(r, 50));
          }
          return seen;
        }
        """, new object[] { hex, timeoutMs });

    /// <summary>Waits until the video's frames are <paramref name="width"/>×<paramref name="height"/>; returns the size it last saw.</summary>
    public Task<string> WaitForSizeAsync(int width, int height) => Page.EvaluateAsync<string>("""
        async ([w, h]) => {
          const v = document.getElementById('v');
          for (let i = 0; i < 150 && !(v.videoWidth === w && v.videoHeight === h); i++) await new Promise(r => setTimeout(r, 100));
          return `${v.videoWidth}x${v.videoHeight}`;
        }
        """, new[] { width, height });

    public Task SendInputAsync(object message) => Page.EvaluateAsync("""
        async m => {
          for (let i = 0; i < 100 && (!window.dc || dc.readyState !== 'open'); i++) await new Promise(r => setTimeout(r, 100));
          dc.send(JSON.stringify(m));
        }
        """, message);

    /// <summary>Waits for the agent's next notice of <paramref name="type"/> on the input channel; returns it as JSON text.</summary>
    public Task<string> NoticeAsync(string type) => Page.EvaluateAsync<string>("""
        async type => {
          for (let i = 0; i < 100; i++) {
            const k = notices.findIndex(n => n.t === type);
            if (k >= 0) return JSON.stringify(notices.splice(k, 1)[0]);
            await new Promise(r => setTimeout(r, 100));
          }
          return 'none';
        }
        """, type);

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }

    private sealed class CandidateJson
    {
        public string Candidate { get; set; } = "";

        public int M { get; set; }
    }
}
