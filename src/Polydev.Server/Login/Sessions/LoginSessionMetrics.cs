using Polydev.Server.Observability;
using Prometheus;

namespace Polydev.Server.Login.Sessions;

/// <summary>Login sessions' metrics: how many, how viewers connected, how well the stream ran, how sessions ended.</summary>
public sealed class LoginSessionMetrics(CollectorRegistry registry)
{
    public Counter Started { get; } = registry.Counter("polydev_login_sessions_started_total", "Login sessions started (a login sandbox leased).");

    public Counter Refused { get; } = registry.Counter("polydev_login_sessions_refused_total", "Login sessions refused, by reason (limit, unavailable).", "reason");

    public Gauge Active { get; } = registry.Gauge("polydev_login_sessions_active", "Login sessions alive now.");

    public Counter Ended { get; } = registry.Counter("polydev_login_sessions_ended_total", "Login sessions ended, by reason.", "reason");

    public Histogram Duration { get; } = registry.Histogram("polydev_login_session_duration_seconds", "How long login sessions lasted.", [5, 15, 30, 60, 120, 300, 600, 1200]);

    public Counter Paths { get; } = registry.Counter("polydev_login_session_paths_total",
        "How viewers connected: path webrtc or vnc, and the ICE candidate type in use (host, srflx, prflx, relay; none for vnc).", "path", "ice");

    public Counter Fallbacks { get; } = registry.Counter("polydev_login_session_fallbacks_total", "Sessions whose viewer fell back from WebRTC to the encrypted VNC path.");

    public Histogram FirstFrame { get; } = registry.Histogram("polydev_login_session_first_frame_seconds",
        "From the viewer's opening to its first frame, as the viewer measured it, by path.", [0.1, 0.25, 0.5, 1, 2, 4, 8, 16], "path");

    public Histogram Bitrate { get; } = registry.Histogram(
        "polydev_login_session_bitrate_bytes_per_second", "Stream bitrate the viewer received, per report, in bytes per second (a viewer reports kbit/s).", [31_250, 62_500, 125e3, 250e3, 500e3, 1e6]);

    public Histogram FrameRate { get; } = registry.Histogram("polydev_login_session_frames_per_second", "Frames per second the viewer decoded, per report.", [5, 10, 15, 20, 25, 30, 60]);

    public Counter PacketsLost { get; } = registry.Counter("polydev_login_session_packets_lost_total", "RTP packets the viewers reported lost.");

    public Counter Connects { get; } = registry.Counter("polydev_login_connects_total",
        "Sessions that connect a provider account, by provider and how they ended (connected, login_failed, credential_refused, ended_by_user, time_limit, …).", "provider", "outcome");

    public Counter ChannelBytes { get; } = registry.Counter("polydev_login_session_channel_bytes_total",
        "Encrypted session-channel bytes the server relayed, by direction (to_sandbox, to_viewer).", "direction");
}
