namespace Polydev.Server.Egress.Proxy;

/// <summary>Why a connection was cut; also its outcome in the log line.</summary>
internal static class AbortReasons
{
    public const string HeadersTimeout = "request headers timeout";
    public const string KeepAliveTimeout = "keep-alive timeout";
    public const string IdleTimeout = "idle timeout";
    public const string PortClosed = "port closed";
    public const string Shutdown = "shutdown";
    public const string Reset = "connection lost";
}
