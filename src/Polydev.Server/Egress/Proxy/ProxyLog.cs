using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// What the proxy logs. Destinations (host:port) are metadata the operator may see; tokens,
/// upstream credentials and the upstream URL never appear, nor do request or response contents.
/// </summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventName = "egress_port_opened", Level = LogLevel.Information, Message = "Egress port {Port} listening on {Address}")]
    public static partial void PortOpened(ILogger logger, int port, string address);

    [LoggerMessage(EventName = "egress_port_closed", Level = LogLevel.Information, Message = "Egress port {Port} closed; {Connections} open connections cut")]
    public static partial void PortClosed(ILogger logger, int port, int connections);

    [LoggerMessage(EventName = "egress_exchange", Level = LogLevel.Information, Message = "{Kind} {Destination} on port {Port}: {Outcome} {Status}, {BytesUp} B up, {BytesDown} B down, {DurationMs:0.0} ms")]
    public static partial void Exchange(ILogger logger, string kind, string destination, int port, string outcome, int status, long bytesUp, long bytesDown, double durationMs);

    [LoggerMessage(EventName = "egress_connection_dropped", Level = LogLevel.Debug, Message = "Connection on egress port {Port} closed before a complete request ({Outcome})")]
    public static partial void Dropped(ILogger logger, int port, string outcome);

    [LoggerMessage(EventName = "egress_accept_failed", Level = LogLevel.Warning, Message = "Egress port {Port} could not accept a connection: {Problem}")]
    public static partial void AcceptFailed(ILogger logger, int port, string problem);

    [LoggerMessage(EventName = "egress_connections_refused", Level = LogLevel.Warning, Message = "Egress port {Port} has {Pending} connections without a complete, authenticated request; new ones are closed at once")]
    public static partial void TooManyPending(ILogger logger, int port, int pending);

    [LoggerMessage(EventName = "egress_upstream_failed", Level = LogLevel.Warning, Message = "Upstream proxy {Upstream} failed for egress port {Port}: {Problem}")]
    public static partial void UpstreamFailed(ILogger logger, string upstream, int port, string problem);

    [LoggerMessage(EventName = "egress_authentication_failed", Level = LogLevel.Error, Message = "Egress token check failed on port {Port}")]
    public static partial void AuthenticatorFailed(ILogger logger, Exception exception, int port);

    [LoggerMessage(EventName = "egress_connection_failed", Level = LogLevel.Error, Message = "Egress connection on port {Port} failed unexpectedly")]
    public static partial void Unexpected(ILogger logger, Exception exception, int port);

    [LoggerMessage(EventName = "egress_host_overrides", Level = LogLevel.Warning, Message = "Egress:HostOverrides is set: these hosts are dialled at the given address instead of their own, directly even with an upstream: {Mappings}")]
    public static partial void HostOverridesActive(ILogger logger, string mappings);

    [LoggerMessage(EventName = "egress_shutdown", Level = LogLevel.Information, Message = "Egress shutting down: {Connections} connections open, up to {GraceSeconds} s to finish")]
    public static partial void ShuttingDown(ILogger logger, int connections, double graceSeconds);

    [LoggerMessage(EventName = "egress_shutdown_cut", Level = LogLevel.Warning, Message = "Egress shutdown grace over: {Connections} connections cut")]
    public static partial void ShutdownCut(ILogger logger, int connections);

    [LoggerMessage(EventName = "egress_gateway_header_refused", Level = LogLevel.Warning, Message = "Egress port {Port}: a connection from a gateway address did not begin with a valid PROXY v2 header ({Problem}); closed")]
    public static partial void GatewayHeaderRefused(ILogger logger, int port, string problem);
}
