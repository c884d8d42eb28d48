using Polydev.Contracts.Login;
using Polydev.Server.Http;

namespace Polydev.Server.Login.Sessions;

/// <summary>The viewer's measurements: checked (bounded label values only), then counted.</summary>
internal static class LoginSessionReports
{
    private static readonly string[] Paths = ["webrtc", "vnc"];
    private static readonly string[] IcePaths = ["host", "srflx", "prflx", "relay"];

    public static RequestErrors? Check(LoginSessionReport report)
    {
        var errors = new RequestErrors();
        if (report.Path is { } path && !Paths.Contains(path))
        {
            errors.Add("path", "path must be webrtc or vnc.");
        }

        if (report.IcePath is { } ice && !IcePaths.Contains(ice))
        {
            errors.Add("icePath", "icePath must be host, srflx, prflx or relay.");
        }

        if (report.FirstFrameMs is < 0 or > 600_000 || report.BitrateKbps is < 0 or > 1_000_000 || report.FramesPerSecond is < 0 or > 240 || report.PacketsLost is < 0)
        {
            errors.Add("report", "firstFrameMs (0–600000), bitrateKbps (0–1000000), framesPerSecond (0–240) and packetsLost (≥ 0) must be in range.");
        }

        return errors.Any ? errors : null;
    }

    public static void Apply(LiveLoginSession session, LoginSessionReport report, LoginSessionMetrics metrics)
    {
        // A path is counted once it is known: the VNC path at once (a fallback when WebRTC came first or never
        // connected), the WebRTC path once its ICE candidate type is.
        if (report.Path == "vnc" && session.Path != "vnc")
        {
            metrics.Fallbacks.Inc();
            metrics.Paths.WithLabels("vnc", "none").Inc();
            session.IcePath = null;
        }
        else if (report.Path == "webrtc" && report.IcePath is { } ice && ice != session.IcePath)
        {
            metrics.Paths.WithLabels("webrtc", ice).Inc();
            session.IcePath = ice;
        }

        session.Path = report.Path ?? session.Path;
        if (report.FirstFrameMs is { } firstFrame && !session.FirstFrameReported)
        {
            session.FirstFrameReported = true;
            metrics.FirstFrame.WithLabels(session.Path ?? "webrtc").Observe(firstFrame / 1000);
        }

        if (report.BitrateKbps is { } kbps)
        {
            metrics.Bitrate.Observe(kbps * 1000 / 8);
        }

        if (report.FramesPerSecond is { } fps)
        {
            metrics.FrameRate.Observe(fps);
        }

        if (report.PacketsLost is > 0 and var lost)
        {
            metrics.PacketsLost.Inc(lost);
        }
    }
}
