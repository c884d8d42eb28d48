namespace Polydev.Server.Login.Turn;

/// <summary>What the TURN part logs: the embedded coturn's life (pid, ports, exit codes) and its own output lines. Never the secret.</summary>
internal static partial class TurnLog
{
    [LoggerMessage(EventName = "turn_server_missing", Level = LogLevel.Warning, Message = "Login:Turn:Mode is embedded but coturn is not installed ({Binary} not found): no TURN server runs and login sessions will use the fallback. Install it (apt-get install coturn; scripts/start does) or set Login:Turn:Mode.")]
    public static partial void Missing(ILogger logger, string binary);

    [LoggerMessage(EventName = "turn_server_started", Level = LogLevel.Information, Message = "TURN server (coturn, pid {Pid}) started on port {Port}, relaying on {RelayAddress} ports {MinRelayPort}-{MaxRelayPort}")]
    public static partial void Started(ILogger logger, int pid, int port, string relayAddress, int minRelayPort, int maxRelayPort);

    [LoggerMessage(EventName = "turn_server_listening", Level = LogLevel.Information, Message = "TURN server (coturn, pid {Pid}) accepts connections on {Endpoint} after {DurationMs:0} ms")]
    public static partial void Listening(ILogger logger, int pid, string endpoint, double durationMs);

    [LoggerMessage(EventName = "turn_server_not_listening", Level = LogLevel.Warning, Message = "TURN server (coturn, pid {Pid}) runs but does not accept connections on {Endpoint} after {Seconds:0} s; see its output above")]
    public static partial void NotListening(ILogger logger, int pid, string endpoint, double seconds);

    [LoggerMessage(EventName = "turn_server_exited", Level = LogLevel.Warning, Message = "TURN server (coturn, pid {Pid}) exited with code {ExitCode} after {Seconds:0.0} s")]
    public static partial void Exited(ILogger logger, int pid, int exitCode, double seconds);

    [LoggerMessage(EventName = "turn_server_start_failed", Level = LogLevel.Warning, Message = "TURN server (coturn) could not start: {Problem}")]
    public static partial void StartFailed(ILogger logger, string problem);

    [LoggerMessage(EventName = "turn_server_port_busy", Level = LogLevel.Warning, Message = "TURN server (coturn) not started: UDP {Endpoint} is taken by another process (another coturn, e.g. Debian's coturn service?). Stop it or change Login:Turn:ListeningPort.")]
    public static partial void PortBusy(ILogger logger, string endpoint);

    [LoggerMessage(EventName = "turn_server_restarting", Level = LogLevel.Information, Message = "TURN server (coturn) starts again in {Seconds:0.0} s")]
    public static partial void Restarting(ILogger logger, double seconds);

    [LoggerMessage(EventName = "turn_server_leftover_stopped", Level = LogLevel.Warning, Message = "Stopped a TURN server (coturn, pid {Pid}) left running with this data directory's config by an earlier run")]
    public static partial void LeftoverStopped(ILogger logger, int pid);

    [LoggerMessage(EventName = "turn_server_stopped", Level = LogLevel.Information, Message = "TURN server (coturn, pid {Pid}) stopped")]
    public static partial void Stopped(ILogger logger, int pid);

    [LoggerMessage(EventName = "turn_server_output", Message = "coturn: {Line}")]
    public static partial void Output(ILogger logger, LogLevel level, string line);
}
