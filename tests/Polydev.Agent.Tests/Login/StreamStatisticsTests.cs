using Polydev.Agent.Login.Desktop;
using Polydev.Agent.Login.Media;
using Polydev.Testing;
using Xunit.Abstractions;

namespace Polydev.Agent.Tests.Login;

/// <summary>
/// The stream in this process (Xvfb, Debian's chromium, webrtcbin) with a real chromium viewer: webrtcbin's statistics
/// carry the viewer's RTCP receiver reports and read as such, and the encoder's bitrate changes while it plays.
/// </summary>
[Collection(LoginStreams.Name)]
public sealed class StreamStatisticsTests(ITestOutputHelper output)
{
    /// <summary>
    /// Sixty random squares a frame: more than either encoder is given at the start bitrate, yet little enough to come
    /// near the floor. vp8enc (no frame dropping) cannot go below what its coarsest quantizer makes of the content: with
    /// full-screen noise it sent about 2.3 Mbit/s at any target; here about 3.3 Mbit/s at 2500 and 0.6 at 300, while
    /// x264enc keeps to either within a few percent.
    /// </summary>
    private static readonly string NoisePage = "data:text/html," + Uri.EscapeDataString("""
        <body style="margin:0"><canvas id="c" width="640" height="480"></canvas><script>
          const g = document.getElementById('c').getContext('2d');
          (function draw() {
            for (let i = 0; i < 60; i++) {
              g.fillStyle = `rgb(${Math.random() * 256 | 0},${Math.random() * 256 | 0},${Math.random() * 256 | 0})`;
              g.fillRect(Math.random() * 640, Math.random() * 480, 8, 8);
            }
            requestAnimationFrame(draw);
          })();
        </script></body>
        """);

    [Fact]
    public async Task A_connected_sessions_statistics_read_as_the_viewers_receiver_report()
    {
        await using var session = await LocalStream.OpenAsync(VideoCodec.Vp8, LoginTestPage.DataUrl);
        Assert.StartsWith("ok", await session.Viewer.WaitForColourAsync(LoginTestPage.Start));

        SenderStatistics? stats = null;
        for (int i = 0; i < 40 && stats?.Report?.RoundTripSeconds is null; i++)
        {
            await Task.Delay(250);
            stats = session.Stream.ReadStatistics();
        }

        var report = stats?.Report;
        Assert.True(report?.RoundTripSeconds is not null, $"no receiver report with a round trip in: {session.Stream.Statistics()}");
        output.WriteLine($"{stats}");
        Assert.InRange(report!.Value.RoundTripSeconds!.Value, 1e-6, 1.0);
        Assert.True(report.Value.PacketsLost >= 0);
        Assert.InRange(report.Value.FractionLost, 0, 1);
        Assert.NotNull(report.Value.HighestSequence);
        Assert.True(stats!.Value.BytesSent > 0 && stats.Value.PacketsSent > 0);

        // What the controller makes of the real reports on a loss-free loopback: no reason to come down.
        var controller = new BitrateController(session.Stream.Settings.BitrateKbps);
        for (int i = 0; i < 3; i++)
        {
            await Task.Delay(1000);
            if (session.Stream.ReadStatistics()?.Report is { } next)
            {
                controller.Observe(next);
            }
        }

        Assert.Equal(session.Stream.Settings.BitrateKbps, controller.Kbps);
    }

    [Theory]
    [InlineData("vp8")]
    [InlineData("h264")]
    public async Task The_encoders_bitrate_changes_while_the_stream_plays(string codec)
    {
        await using var session = await LocalStream.OpenAsync(codec == "vp8" ? VideoCodec.Vp8 : VideoCodec.H264, NoisePage);
        Assert.Equal("640x480", await session.Viewer.WaitForSizeAsync(640, 480));
        await Task.Delay(1000);

        double high = await KilobitsPerSecondAsync(session.Stream);
        session.Stream.SetBitrate(StreamSettings.MinBitrateKbps);
        // x264enc takes a new bitrate on its next frame; vp8enc's rate control drains its buffer over about a second.
        await Task.Delay(1500);
        double low = await KilobitsPerSecondAsync(session.Stream);
        session.Stream.SetBitrate(session.Stream.Settings.BitrateKbps);
        await Task.Delay(1500);
        double again = await KilobitsPerSecondAsync(session.Stream);
        output.WriteLine($"{codec}: {high:0} kbit/s at {session.Stream.Settings.BitrateKbps}, {low:0} at {StreamSettings.MinBitrateKbps}, {again:0} back at {session.Stream.Settings.BitrateKbps}");

        Assert.True(low < high / 2, $"{codec}: {high:0} kbit/s, then {low:0} after lowering the bitrate");
        Assert.True(again > low * 2, $"{codec}: {low:0} kbit/s, then {again:0} after raising it again");
    }

    /// <summary>What the stream sent over three seconds (vp8enc's output comes in bursts), from webrtcbin's own byte count.</summary>
    private static async Task<double> KilobitsPerSecondAsync(WebRtcStream stream)
    {
        ulong before = stream.ReadStatistics()?.BytesSent ?? 0;
        long started = Environment.TickCount64;
        await Task.Delay(3000);
        ulong after = stream.ReadStatistics()?.BytesSent ?? 0;
        return (after - before) * 8 / (double)(Environment.TickCount64 - started);
    }

    /// <summary>A desktop, its stream and a chromium viewer in this process, with ICE candidates carried both ways.</summary>
    private sealed class LocalStream : IAsyncDisposable
    {
        private readonly RemoteDesktop _desktop;
        private readonly CancellationTokenSource _stop = new();
        private readonly string _profile;
        private Task _relay = Task.CompletedTask;

        private LocalStream(RemoteDesktop desktop, WebRtcStream stream, BrowserViewer viewer, string profile)
        {
            _desktop = desktop;
            Stream = stream;
            Viewer = viewer;
            _profile = profile;
        }

        public WebRtcStream Stream { get; }

        public BrowserViewer Viewer { get; }

        public static async Task<LocalStream> OpenAsync(VideoCodec codec, string page)
        {
            string profile = Directory.CreateTempSubdirectory("polydev-stream-test-").FullName;
            var desktop = await RemoteDesktop.StartAsync(new DesktopSettings(1920, 1200, "chromium", profile), 640, 480, page, null, CancellationToken.None);
            var stream = WebRtcStream.Start(new StreamSettings(desktop.Display, desktop.Width, desktop.Height, 30, codec, 2500, [], RelayOnly: false));
            var session = new LocalStream(desktop, stream, await BrowserViewer.OpenAsync(), profile);
            session._relay = Task.WhenAll(session.AgentSideAsync(), session.ViewerSideAsync());
            return session;
        }

        private async Task AgentSideAsync()
        {
            try
            {
                await foreach (var next in Stream.Events.ReadAllAsync(_stop.Token))
                {
                    switch (next)
                    {
                        case StreamEvent.Offer offer:
                            Stream.SetAnswer(await Viewer.AnswerAsync(offer.Sdp));
                            break;
                        case StreamEvent.Candidate candidate:
                            await Viewer.AddCandidateAsync(candidate.Text, (int)candidate.MLineIndex);
                            break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ViewerSideAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    foreach (var (candidate, m) in await Viewer.TakeCandidatesAsync())
                    {
                        Stream.AddRemoteCandidate((uint)m, candidate);
                    }

                    await Task.Delay(100, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or Microsoft.Playwright.PlaywrightException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _relay;
            await Viewer.DisposeAsync();
            Stream.Dispose();
            await _desktop.DisposeAsync();
            Directory.Delete(_profile, recursive: true);
            _stop.Dispose();
        }
    }
}

/// <summary>
/// The login tests that run a desktop and a stream in this process or beside it: one at a time, after the tests that
/// may run in parallel, since two such sessions at once starve each other on a small host.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoginStreams
{
    public const string Name = "Login streams, one at a time";
}
