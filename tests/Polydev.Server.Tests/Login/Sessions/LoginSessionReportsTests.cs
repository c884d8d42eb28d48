using Polydev.Contracts.Login;
using Polydev.Server.Login.Sessions;
using Prometheus;

namespace Polydev.Server.Tests.Login.Sessions;

/// <summary>The viewer's reports become the path metrics once each path is known, and bad values are refused.</summary>
public sealed class LoginSessionReportsTests
{
    [Fact]
    public void A_WebRTC_path_counts_once_its_candidate_type_is_known_and_a_fall_to_VNC_counts_as_a_fallback()
    {
        var metrics = new LoginSessionMetrics(Metrics.NewCustomRegistry());
        var session = new LiveLoginSession(Guid.NewGuid(), Guid.NewGuid(), null!, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

        LoginSessionReports.Apply(session, new LoginSessionReport(Path: "webrtc", FirstFrameMs: 420), metrics);
        LoginSessionReports.Apply(session, new LoginSessionReport(Path: "webrtc", IcePath: "relay", BitrateKbps: 900, FramesPerSecond: 30), metrics);
        LoginSessionReports.Apply(session, new LoginSessionReport(Path: "webrtc", IcePath: "relay", PacketsLost: 3), metrics);

        Assert.Equal(1, metrics.Paths.WithLabels("webrtc", "relay").Value);
        Assert.Equal(0, metrics.Paths.WithLabels("webrtc", "none").Value);
        Assert.Equal(0, metrics.Fallbacks.Value);
        Assert.Equal(1, metrics.FirstFrame.WithLabels("webrtc").Count);
        Assert.Equal(3, metrics.PacketsLost.Value);
        Assert.Equal(("webrtc", "relay"), (session.Path, session.IcePath));

        LoginSessionReports.Apply(session, new LoginSessionReport(Path: "vnc"), metrics);
        LoginSessionReports.Apply(session, new LoginSessionReport(Path: "vnc", FirstFrameMs: 100), metrics);
        Assert.Equal(1, metrics.Fallbacks.Value);
        Assert.Equal(1, metrics.Paths.WithLabels("vnc", "none").Value);
        Assert.Equal(1, metrics.FirstFrame.WithLabels("webrtc").Count);
    }

    [Theory]
    [InlineData("carrier-pigeon", null, null)]
    [InlineData("webrtc", "tunnel", null)]
    [InlineData("webrtc", "relay", -1.0)]
    public void Unknown_paths_and_out_of_range_figures_are_refused(string path, string? ice, double? firstFrame)
    {
        Assert.NotNull(LoginSessionReports.Check(new LoginSessionReport(path, ice, firstFrame)));
    }
}
