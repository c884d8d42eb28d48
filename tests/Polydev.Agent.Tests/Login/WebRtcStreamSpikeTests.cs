using System.Diagnostics;
using Microsoft.Playwright;
using Polydev.Agent.Login.Media;

namespace Polydev.Agent.Tests.Login;

public sealed class WebRtcStreamSpikeTests
{
    [Fact]
    public async Task Chromium_receives_the_screen_and_the_input_channel()
    {
        const int display = 77;
        using var xvfb = Process.Start(new ProcessStartInfo("Xvfb", $":{display} -screen 0 640x480x24 -nolisten tcp") { RedirectStandardError = true })!;
        for (int i = 0; i < 50 && !File.Exists($"/tmp/.X11-unix/X{display}"); i++)
        {
            await Task.Delay(100);
        }

        var profile = Directory.CreateTempSubdirectory("spike-chromium");
        var psi = new ProcessStartInfo("chromium", ["--no-sandbox", "--disable-gpu", "--no-first-run", "--kiosk", "--disable-background-networking", $"--user-data-dir={profile.FullName}", "--window-size=640,480", "--window-position=0,0", "data:text/html,<body style='background:%23ff0000'>"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["DISPLAY"] = $":{display}";
        using var remote = Process.Start(psi)!;
        await Task.Delay(3000);
        using var stream = WebRtcStream.Start(new StreamSettings($":{display}", 640, 480, 30, VideoCodec.Vp8, 1500, [], false));
        var offer = (StreamEvent.Offer)await stream.Events.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            ChromiumSandbox = false,
            Args = ["--disable-features=WebRtcHideLocalIpsWithMdns"],
        });
        var page = await browser.NewPageAsync();
        await page.SetContentAsync("<video id=v autoplay muted playsinline></video><canvas id=c width=8 height=8></canvas>");
        string answer = await page.EvaluateAsync<string>("""
            async offer => {
              const pc = new RTCPeerConnection();
              window.pc = pc; window.got = [];
              pc.ontrack = e => { document.getElementById('v').srcObject = e.streams[0] || new MediaStream([e.track]); };
              pc.ondatachannel = e => { window.dc = e.channel; e.channel.onmessage = m => window.got.push(m.data); };
              await pc.setRemoteDescription({ type: 'offer', sdp: offer });
              await pc.setLocalDescription(await pc.createAnswer());
              await new Promise(r => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
              return pc.localDescription.sdp;
            }
            """, offer.Sdp);
        stream.SetAnswer(answer);
        var candidates = Task.Run(async () =>
        {
            await foreach (var e in stream.Events.ReadAllAsync())
            {
                if (e is StreamEvent.Candidate c)
                {
                    await page.EvaluateAsync("c => pc.addIceCandidate({ candidate: c.text, sdpMLineIndex: c.m })", new { text = c.Text, m = (int)c.MLineIndex });
                }
                else if (e is StreamEvent.InputMessage m)
                {
                    return m.Text;
                }
            }

            return null;
        });

        string colour = await page.EvaluateAsync<string>("""
            async () => {
              const v = document.getElementById('v');
              for (let i = 0; i < 100 && v.videoWidth === 0; i++) await new Promise(r => setTimeout(r, 100));
              const c = document.getElementById('c').getContext('2d');
              let d;
              for (let i = 0; i < 50; i++) {
                c.drawImage(v, 0, 0, 8, 8);
                d = c.getImageData(4, 4, 1, 1).data;
                if (d[0] > 200) break;
                await new Promise(r => setTimeout(r, 100));
              }
              return `${d[0]},${d[1]},${d[2]} ${v.videoWidth}x${v.videoHeight}`;
            }
            """);
        Assert.StartsWith("2", colour);
        await page.EvaluateAsync("async () => { for (let i = 0; i < 50 && (!window.dc || dc.readyState !== 'open'); i++) await new Promise(r => setTimeout(r, 100)); dc.send('hello agent'); }");
        Assert.Equal("hello agent", await candidates.WaitAsync(TimeSpan.FromSeconds(10)));
        remote.Kill(true);
        xvfb.Kill();
    }
}
