namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The request or tunnel in progress on one connection, written as one <c>egress_exchange</c>
/// log line when it ends (kind, destination, outcome, status, bytes each way, duration).
/// Reused for each exchange of the connection.
/// </summary>
internal sealed class ExchangeLog(ProxyContext context, int port)
{
    private long _started;

    /// <summary><c>connect</c>, <c>http</c>, or <c>-</c> before the request is known.</summary>
    public string Kind { get; set; } = "-";

    public string Destination { get; set; } = "-";

    public string Outcome { get; set; } = "ok";

    public int Status { get; set; }

    public long Up { get; set; }

    public long Down { get; set; }

    /// <summary>A response head (or 200 to CONNECT) went to the client: a refusal can no longer be sent.</summary>
    public bool ResponseStarted { get; set; }

    /// <summary>The request has a body: after a refusal the connection cannot be reused.</summary>
    public bool RequestHasBody { get; set; }

    public void Begin()
    {
        Kind = "-";
        Destination = "-";
        Outcome = "ok";
        Status = 0;
        Up = Down = 0;
        ResponseStarted = false;
        RequestHasBody = false;
        _started = context.Clock.GetTimestamp();
    }

    public void End(string outcome, int status) =>
        ProxyLog.Exchange(context.Logger, Kind, Destination, port, outcome, status, Up, Down, context.Clock.GetElapsedTime(_started).TotalMilliseconds);
}
