using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// One client connection on a user's port: its socket and read buffer, its deadline (headers,
/// keep-alive or idle timeout), its byte counts, the kept-alive connection toward a destination,
/// and how it is cut and closed. What it does with requests is <see cref="ConnectionLoop"/>'s job.
/// </summary>
internal sealed class ProxyConnection
{
    private const int StateReadingHead = 0;
    private const int StateIdle = 1;
    private const int StateBusy = 2;

    private readonly CancellationTokenSource _abort = new();
    private string? _abortReason;
    private long _deadline = long.MaxValue;
    private string _deadlineReason = AbortReasons.HeadersTimeout;
    private int _state = StateReadingHead;

    public ProxyConnection(ProxyContext context, PortListener port, Socket client)
    {
        Context = context;
        Port = port;
        Client = client;
        Reader = new SocketReader(client, Math.Max(context.Options.MaxRequestHeaderBytes + 1, 16 * 1024));
        ChunkSize = Math.Min(TunnelRelay.LargestRead, port.User.ChunkLimit);
        Exchange = new ExchangeLog(context, port.Port);
        ClientAddress = DestinationPolicy.Normalize(((System.Net.IPEndPoint)client.RemoteEndPoint!).Address);
    }

    /// <summary>Who the client is: its address, or for a gateway's connection the sandbox's its PROXY header names.</summary>
    public System.Net.IPAddress ClientAddress { get; set; }

    public ProxyContext Context { get; }

    public PortListener Port { get; }

    public Socket Client { get; }

    /// <summary>What the client sent and is not consumed yet.</summary>
    public SocketReader Reader { get; }

    /// <summary>Largest read or write in one step: the tunnel buffer, or less under a bandwidth cap.</summary>
    public int ChunkSize { get; }

    /// <summary>The request or tunnel in progress, for its log line.</summary>
    public ExchangeLog Exchange { get; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Cancelled when the connection is cut.</summary>
    public CancellationToken Aborted => _abort.Token;

    /// <summary>Why the connection was cut; null while it is not.</summary>
    public string? AbortReason => _abortReason;

    /// <summary>Waiting for or reading a request head: nothing in flight that a shutdown should let finish.</summary>
    public bool IsBetweenRequests => Volatile.Read(ref _state) != StateBusy;

    /// <summary>Authenticated once and so counted toward the user's cap (<see cref="ConnectionTracker.TryAdmit"/>).</summary>
    public bool Admitted { get; set; }

    /// <summary>Bytes of the current request head have arrived (a timeout then answers 408).</summary>
    public bool HeadBytesSeen { get; set; }

    public int FailedAuthentications { get; set; }

    /// <summary>The connection toward the destination (or upstream) kept alive between absolute-URI requests.</summary>
    public OriginConnection? Origin { get; set; }

    public void Start() => Completion = Task.Run(() => ConnectionLoop.RunAsync(this));

    /// <summary>Cuts the connection: pending reads and writes end, the owning task cleans up.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, reason, null) is not null)
        {
            return;
        }

        if (reason is AbortReasons.IdleTimeout)
        {
            Context.Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.Timeout).Inc();
        }

        _abort.Cancel();
    }

    public void CheckDeadline(long now)
    {
        if (now > Volatile.Read(ref _deadline))
        {
            Abort(_deadlineReason);
        }
    }

    /// <summary>Waiting for a request head: the first one (headers timeout) or the next one (keep-alive timeout).</summary>
    public void AwaitingHead(bool first)
    {
        Volatile.Write(ref _state, first ? StateReadingHead : StateIdle);
        SetDeadline(first ? Context.Options.RequestHeadersTimeout : Context.Options.IdleTimeout, first ? AbortReasons.HeadersTimeout : AbortReasons.KeepAliveTimeout);
    }

    /// <summary>A request or tunnel is in flight: a shutdown lets it finish within its grace.</summary>
    public void Busy()
    {
        Volatile.Write(ref _state, StateBusy);
        SetDeadline(Context.Options.IdleTimeout, AbortReasons.IdleTimeout);
    }

    /// <summary>Bytes moved: the idle timeout starts again.</summary>
    public void Touch() => Volatile.Write(ref _deadline, Context.Clock.GetTimestamp() + Context.IdleTicks);

    public void SetDeadline(TimeSpan after, string reason)
    {
        _deadlineReason = reason;
        Volatile.Write(ref _deadline, Context.Clock.GetTimestamp() + ProxyContext.ToTicks(after, Context.Clock));
    }

    /// <summary>No deadline while a dialer bounds its own time (ConnectTimeout).</summary>
    public void ClearDeadline() => Volatile.Write(ref _deadline, long.MaxValue);

    public void Count(bool up, int bytes)
    {
        if (up)
        {
            CountUp(bytes);
        }
        else
        {
            CountDown(bytes);
        }
    }

    public void CountUp(int bytes)
    {
        Exchange.Up += bytes;
        Interlocked.Add(ref Port.User.BytesUp, bytes);
        Context.Metrics.BytesUp.Inc(bytes);
    }

    public void CountDown(int bytes)
    {
        Exchange.Down += bytes;
        Interlocked.Add(ref Port.User.BytesDown, bytes);
        Context.Metrics.BytesDown.Inc(bytes);
    }

    /// <summary>Best effort: a refusal to a client that may already be gone.</summary>
    public async Task TrySendAsync(byte[] response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), Context.Clock);
            await Client.SendAllAsync(response, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Closes the connection toward the destination, if one is kept.</summary>
    public void DropOrigin()
    {
        if (Origin is { } origin)
        {
            Origin = null;
            origin.Dispose();
            Context.Connections.SocketClosed();
        }
    }

    public void Close()
    {
        ClearDeadline();
        DropOrigin();
        Reader.Dispose();
        try
        {
            // Graceful FIN when possible; the peer sees an orderly close after our last answer.
            Client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        Client.Dispose();
        Context.Connections.Closed(this, Admitted);
    }
}
