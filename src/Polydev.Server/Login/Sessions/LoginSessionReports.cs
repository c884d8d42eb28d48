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
        if (report.Path is { } path && path != session.Path)
        {
            if (session.Path == "webrtc" && path == "vnc" || session.Path is null && path == "vnc" && report.IcePath is null)
            {
                metrics.Fallbacks.Inc();
            }

            session.Path = path;
            session.IcePath = path == "vnc" ? null : report.IcePath;
            metrics.Paths.WithLabels(path, session.IcePath ?? "none").Inc();
        }

        if (report.FirstFrameMs is { } firstFrame && !session.FirstFrameReported)
        {
            session.FirstFrameReported = true;
            metrics.FirstFrame.WithLabels(session.Path ?? "webrtc").Observe(firstFrame / 1000);
        }

        if (report.BitrateKbps is { } kbps)
        {
            metrics.Bitrate.Observe(kbps * 1000);
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
