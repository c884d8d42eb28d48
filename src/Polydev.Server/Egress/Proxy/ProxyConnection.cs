using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// One client connection on a user's port: reads request heads, authenticates each request,
/// then either opens a CONNECT tunnel (and ends with it) or forwards an absolute-URI request and
/// its response with their framing intact, keeping the client connection (and the connection
/// toward the destination) alive between requests when both sides allow it.
/// </summary>
internal sealed class ProxyConnection
{
    private const int MaxFailedAuthentications = 8;
    private const int OriginBufferSize = 64 * 1024;
    private const int OriginHeadLimit = 64 * 1024;
    private const int MaxChunkLine = 4096;
    private const int MaxTrailerBytes = 32 * 1024;

    private const int StateReadingHead = 0;
    private const int StateIdle = 1;
    private const int StateBusy = 2;

    /// <summary>Fields that concern one connection only and are never forwarded (RFC 9110 7.6.1), plus the proxy's own.</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "Proxy-Connection", "TE", "Trailer", "Upgrade",
    };

    /// <summary>A <c>Connection</c> option never removes these: the body would go on unframed (request smuggling).</summary>
    private static readonly HashSet<string> NeverOptional = new(StringComparer.OrdinalIgnoreCase) { "Content-Length", "Transfer-Encoding", "Host" };

    private readonly ProxyContext _proxy;
    private readonly PortListener _port;
    private readonly Socket _client;
    private readonly SocketReader _reader;
    private readonly CancellationTokenSource _abort = new();
    private readonly int _chunk;

    private string? _abortReason;
    private long _deadline = long.MaxValue;
    private string _deadlineReason = AbortReasons.HeadersTimeout;
    private int _state = StateReadingHead;
    private bool _authenticated;
    private bool _headBytesSeen;
    private int _failedAuthentications;
    private Origin? _origin;

    // The exchange (request or tunnel) in progress, for its log line.
    private string _kind = "-";
    private string _destination = "-";
    private string _outcome = "ok";
    private int _status;
    private long _up;
    private long _down;
    private long _started;
    private bool _responseStarted;
    private bool _requestHasBody;

    public ProxyConnection(ProxyContext proxy, PortListener port, Socket client)
    {
        _proxy = proxy;
        _port = port;
        _client = client;
        _reader = new SocketReader(client, Math.Max(proxy.Options.MaxRequestHeaderBytes + 1, 16 * 1024));
        _chunk = Math.Min(TunnelRelay.LargestRead, port.User.ChunkLimit);
    }

    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Waiting for or reading a request head: nothing in flight that a shutdown should let finish.</summary>
    public bool IsBetweenRequests => Volatile.Read(ref _state) != StateBusy;

    public PortListener Port => _port;

    public void Start() => Completion = Task.Run(RunAsync);

    /// <summary>Cuts the connection: pending reads and writes end, the owning task cleans up.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, reason, null) is not null)
        {
            return;
        }

        if (reason is AbortReasons.IdleTimeout)
        {
            _proxy.Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.Timeout).Inc();
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

    private async Task RunAsync()
    {
        var token = _abort.Token;
        var first = true;
        try
        {
            while (!_proxy.IsShuttingDown && !token.IsCancellationRequested)
            {
                Volatile.Write(ref _state, first ? StateReadingHead : StateIdle);
                SetDeadline(first ? _proxy.Options.RequestHeadersTimeout : _proxy.Options.IdleTimeout, first ? AbortReasons.HeadersTimeout : AbortReasons.KeepAliveTimeout);
                RequestHead? head;
                try
                {
                    head = await ReadRequestHeadAsync(first, token);
                }
                catch (ProxyRefusal refusal)
                {
                    BeginExchange();
                    _proxy.Metrics.Refusals.WithLabels(refusal.MetricReason).Inc();
                    await TrySendAsync(refusal.ToResponse(keepAlive: false));
                    EndExchange("refused", refusal.Status);
                    return;
                }

                if (head is null)
                {
                    return;
                }

                first = false;
                Volatile.Write(ref _state, StateBusy);
                SetDeadline(_proxy.Options.IdleTimeout, AbortReasons.IdleTimeout);
                if (!await HandleExchangeAsync(head, token))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            if (_abortReason is AbortReasons.HeadersTimeout && (first || _headBytesSeen))
            {
                // A client too slow to send its request (or one that never does): say so, then close.
                BeginExchange();
                _proxy.Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.Timeout).Inc();
                var seconds = _proxy.Options.RequestHeadersTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
                await TrySendAsync(ProxyResponses.Build(408, $"the request was not complete within {seconds} s", keepAlive: false));
                if (_headBytesSeen)
                {
                    EndExchange("timeout", 408);
                }
                else
                {
                    ProxyLog.Dropped(_proxy.Logger, _port.Port, "no request within the headers timeout");
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            ProxyLog.Dropped(_proxy.Logger, _port.Port, "connection lost");
        }
        catch (Exception e)
        {
            ProxyLog.Unexpected(_proxy.Logger, e, _port.Port);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>The next request head, or null when the client closed cleanly between requests.</summary>
    private async Task<RequestHead?> ReadRequestHeadAsync(bool first, CancellationToken token)
    {
        var max = _proxy.Options.MaxRequestHeaderBytes;
        var scanned = 0;
        _headBytesSeen = false;
        while (true)
        {
            // RFC 9112 2.2: empty lines before a request line are ignored.
            while (_reader.Count >= 2 && _reader.Span[0] == (byte)'\r' && _reader.Span[1] == (byte)'\n')
            {
                _reader.Consume(2);
                scanned = 0;
            }

            if (_reader.Count > 0)
            {
                if (!_headBytesSeen)
                {
                    _headBytesSeen = true;
                    if (!first)
                    {
                        SetDeadline(_proxy.Options.RequestHeadersTimeout, AbortReasons.HeadersTimeout);
                    }
                }

                var end = HttpParser.FindHeadEnd(_reader.Span, scanned);
                if (end > max || (end < 0 && _reader.Count >= max))
                {
                    throw new ProxyRefusal(431, $"request line and headers exceed {max.ToString(CultureInfo.InvariantCulture)} bytes", EgressMetrics.RefusalReasons.BadRequest);
                }

                if (HttpParser.HasBareLineFeed(_reader.Span, scanned))
                {
                    throw HttpParser.BadRequest("malformed request line or header: lines must end with CRLF");
                }

                if (end > 0)
                {
                    var head = HttpParser.ParseRequest(_reader.Span[..end]);
                    _reader.Consume(end);
                    return head;
                }

                scanned = _reader.Count;
            }
            else
            {
                _reader.ReleaseIfEmpty();
            }

            var read = await _reader.FillAsync(token, max + 1 - _reader.Count);
            if (read == 0)
            {
                if (_reader.Count > 0 && _headBytesSeen)
                {
                    ProxyLog.Dropped(_proxy.Logger, _port.Port, "closed in the middle of a request head");
                }

                return null;
            }
        }
    }

    /// <returns>Whether the client connection stays open for another request.</returns>
    private async Task<bool> HandleExchangeAsync(RequestHead head, CancellationToken token)
    {
        BeginExchange();
        try
        {
            if (head.Method == "CONNECT")
            {
                _kind = "connect";
                _proxy.Metrics.ConnectRequests.Inc();
                await TunnelAsync(head, token);
                return false;
            }

            _kind = "http";
            _proxy.Metrics.HttpRequests.Inc();
            return await ForwardAsync(head, token);
        }
        catch (ProxyRefusal refusal)
        {
            _proxy.Metrics.Refusals.WithLabels(refusal.MetricReason).Inc();
            if (_responseStarted)
            {
                _outcome = "failed: " + refusal.Message;
                return false;
            }

            // A client that keeps failing authentication on one connection is sent away.
            var keepAlive = refusal.KeepAlive && !_requestHasBody && head.Http11 && !head.Headers.HasToken("Connection", "close")
                && !_proxy.IsShuttingDown && (refusal.Status != 407 || ++_failedAuthentications <= MaxFailedAuthentications);
            await TrySendAsync(refusal.ToResponse(keepAlive));
            _outcome = "refused";
            _status = refusal.Status;
            return keepAlive;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _outcome = _abortReason ?? "cut";
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            _outcome = "connection lost: " + (e is SocketException socket ? socket.SocketErrorCode.ToString() : e.Message);
            return false;
        }
        finally
        {
            EndExchange(_outcome, _status);
        }
    }

    private async Task AuthenticateAsync(RequestHead head, CancellationToken token)
    {
        var count = head.Headers.CountOf("Proxy-Authorization");
        if (count == 0)
        {
            throw new ProxyRefusal(407, "proxy authentication required: send Proxy-Authorization with this port's egress token (Basic with the token as password, or Bearer)", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        var presented = count == 1 ? ProxyCredentials.Token(head.Headers.Get("Proxy-Authorization")!) : null;
        if (presented is null)
        {
            throw new ProxyRefusal(407, "Proxy-Authorization must be Basic (the egress token as password) or Bearer with the egress token", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        EgressPrincipal? principal;
        try
        {
            principal = await _proxy.Authenticator.AuthenticateAsync(presented, token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            ProxyLog.AuthenticatorFailed(_proxy.Logger, e, _port.Port);
            throw new ProxyRefusal(503, "the egress token could not be checked; try again", EgressMetrics.RefusalReasons.Error);
        }

        if (principal is null)
        {
            throw new ProxyRefusal(407, "the egress token is unknown, expired or revoked", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        if (principal.UserId != _port.User.UserId)
        {
            throw new ProxyRefusal(407, "the egress token is not for this port", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        if (!_authenticated)
        {
            if (!_proxy.Connections.TryAdmit(this))
            {
                var max = _proxy.Options.MaxTunnelsPerUser.ToString(CultureInfo.InvariantCulture);
                throw new ProxyRefusal(429, $"this port already has {max} open connections (Egress:MaxTunnelsPerUser); close some and retry", EgressMetrics.RefusalReasons.Limit);
            }

            _authenticated = true;
        }
    }

    private async Task TunnelAsync(RequestHead head, CancellationToken token)
    {
        var target = ProxyTarget.ParseConnect(head.Target);
        _destination = target.Display;
        await AuthenticateAsync(head, token);

        // The dialer bounds its own time (ConnectTimeout).
        Volatile.Write(ref _deadline, long.MaxValue);
        Socket destination;
        var early = Array.Empty<byte>();
        if (_port.Upstream is { } upstream)
        {
            (destination, early) = await _proxy.UpstreamDialer.ConnectTunnelAsync(upstream, _port.Port, target, token);
        }
        else
        {
            destination = await _proxy.DirectDialer.ConnectAsync(target, token);
        }

        _proxy.Connections.SocketOpened();
        try
        {
            SetDeadline(_proxy.Options.IdleTimeout, AbortReasons.IdleTimeout);
            await _client.SendAllAsync(ProxyResponses.ConnectionEstablished, token);
            _responseStarted = true;
            _status = 200;
            if (early.Length > 0)
            {
                await _client.SendAllAsync(early, token);
                CountDown(early.Length);
            }

            if (_reader.Count > 0)
            {
                var pipelined = _reader.Count;
                await destination.SendAllAsync(_reader.Memory, token);
                CountUp(pipelined);
                _reader.Consume(pipelined);
            }

            _reader.ReleaseIfEmpty();
            await Task.WhenAll(PumpAsync(_client, destination, up: true, token), PumpAsync(destination, _client, up: false, token));
            _outcome = _abortReason ?? "ok";
        }
        finally
        {
            destination.Dispose();
            _proxy.Connections.SocketClosed();
        }
    }

    /// <summary>
    /// Copies one direction of a tunnel until end of stream, then passes the FIN on with
    /// Shutdown(Send) so the other direction can still finish (half-close). A failure on either
    /// socket cuts the whole tunnel. Waits for data with a zero-byte read, holding no buffer;
    /// reads grow from 16 KiB toward <see cref="EgressProxy.TunnelBufferSize"/> while they come
    /// back full (a bulk transfer) and shrink again when they do not.
    /// </summary>
    private async Task PumpAsync(Socket from, Socket to, bool up, CancellationToken token)
    {
        const int Smallest = 16 * 1024;
        var size = Math.Min(Smallest, _chunk);
        var busy = false;
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    if (!busy)
                    {
                        await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token);
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(size);
                }

                var read = await from.ReceiveAsync(buffer.AsMemory(0, size), SocketFlags.None, token);
                if (read == 0)
                {
                    try
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }

                    return;
                }

                Touch();
                await ThrottleAsync(read, token);
                await to.SendAllAsync(buffer.AsMemory(0, read), token);
                Touch();
                Count(up, read);

                busy = read == size;
                var next = busy ? Math.Min(size * 2, _chunk) : read < size / 4 ? Math.Max(Smallest, size / 2) : size;
                if (!busy || next != size)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    size = Math.Min(next, _chunk);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            Abort(AbortReasons.Reset);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task<bool> ForwardAsync(RequestHead head, CancellationToken token)
    {
        var target = ProxyTarget.ParseAbsolute(head.Target);
        _destination = target.Display;
        var body = RequestFraming(head);
        _requestHasBody = body.Kind != FramingKind.None;
        await AuthenticateAsync(head, token);
        SetDeadline(_proxy.Options.IdleTimeout, AbortReasons.IdleTimeout);

        for (var attempt = 0; ; attempt++)
        {
            if (await ExchangeAsync(head, target, body, retryAllowed: attempt == 0, token) is { } keepAlive)
            {
                return keepAlive;
            }
        }
    }

    /// <returns>Whether the client connection stays open; null to retry once on a fresh connection (a reused one was stale).</returns>
    private async Task<bool?> ExchangeAsync(RequestHead head, ProxyTarget target, Framing body, bool retryAllowed, CancellationToken token)
    {
        var upstream = _port.Upstream;
        var (origin, reused) = await GetOriginAsync(target, token);
        var requestHead = BuildRequestHead(head, target, upstream);

        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task? bodyTask = null;
        Exception? bodyFailure = null;
        try
        {
            await origin.Socket.SendAllAsync(requestHead, token);
            CountUp(requestHead.Length);
            if (body.Kind != FramingKind.None)
            {
                bodyTask = CopyRequestBodyAsync();
            }

            ResponseHead response;
            while (true)
            {
                var length = await ResponseHeadReader.ReadAsync(origin.Reader, OriginHeadLimit, exchange.Token);
                var from = upstream is null ? target.Display : "the upstream proxy";
                var reason = upstream is null ? EgressMetrics.RefusalReasons.Unreachable : EgressMetrics.RefusalReasons.Upstream;
                if (length == 0)
                {
                    if (reused && retryAllowed && bodyTask is null && !_responseStarted)
                    {
                        DropOrigin();
                        return null;
                    }

                    throw new ProxyRefusal(502, $"{from} closed the connection without answering", reason, keepAlive: true);
                }

                if (length < 0)
                {
                    throw new ProxyRefusal(502, $"{from} sent response headers larger than {OriginHeadLimit / 1024} KiB", reason, keepAlive: true);
                }

                response = HttpParser.ParseResponse(origin.Reader.Span[..length])
                    ?? throw new ProxyRefusal(502, $"{from} sent a malformed response", reason, keepAlive: true);
                origin.Reader.Consume(length);
                if (upstream is not null && response.Status == 407)
                {
                    throw _proxy.UpstreamDialer.Refusal(upstream, _port.Port, "upstream proxy refused Polydev's credentials", "407 to a forwarded request: credentials refused");
                }

                if (response.Status == 101)
                {
                    throw new ProxyRefusal(502, "protocol upgrades are not supported through this proxy", reason);
                }

                if (response.Status >= 200)
                {
                    break;
                }

                // 1xx (100 Continue, 103 Early Hints): relayed as they come.
                var interim = BuildResponseHead(response, close: false);
                await _client.SendAllAsync(interim, token);
                CountDown(interim.Length);
            }

            var framing = ResponseFraming(head, response)
                ?? throw new ProxyRefusal(502, $"{(upstream is null ? target.Display : "the upstream proxy")} sent an invalid Content-Length", upstream is null ? EgressMetrics.RefusalReasons.Unreachable : EgressMetrics.RefusalReasons.Upstream);
            var keepAlive = head.Http11 && !head.Headers.HasToken("Connection", "close") && !head.Headers.HasToken("Proxy-Connection", "close")
                && framing.Kind != FramingKind.UntilClose && !_proxy.IsShuttingDown;
            var originReusable = head.Http11 && response.Http11 && !response.Headers.HasToken("Connection", "close") && framing.Kind != FramingKind.UntilClose;

            var responseHead = BuildResponseHead(response, close: !keepAlive);
            await _client.SendAllAsync(responseHead, token);
            _responseStarted = true;
            _status = response.Status;
            CountDown(responseHead.Length);
            await CopyBodyAsync(origin.Reader, _client, framing, up: false, token);

            if (bodyTask is not null)
            {
                if (!bodyTask.IsCompleted)
                {
                    // The destination answered before taking the whole request body: this
                    // connection cannot be used again, on either side.
                    keepAlive = originReusable = false;
                    await exchange.CancelAsync();
                }

                await bodyTask;
                if (bodyFailure is not null)
                {
                    keepAlive = originReusable = false;
                }
            }

            if (originReusable)
            {
                origin.Reader.ReleaseIfEmpty();
            }
            else
            {
                DropOrigin();
            }

            _outcome = "ok";
            return keepAlive;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested && bodyFailure is not null)
        {
            // The request body failed (client gone, malformed chunks) while waiting for the response.
            DropOrigin();
            ExceptionDispatchInfo.Throw(bodyFailure);
            throw;
        }
        catch
        {
            if (bodyTask is not null)
            {
                await exchange.CancelAsync();
                await bodyTask;
            }

            DropOrigin();
            throw;
        }

        async Task CopyRequestBodyAsync()
        {
            try
            {
                await CopyBodyAsync(_reader, origin.Socket, body, up: true, exchange.Token);
            }
            catch (Exception e) when (!exchange.IsCancellationRequested || e is not OperationCanceledException)
            {
                bodyFailure = e;
                await exchange.CancelAsync();
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<(Origin Origin, bool Reused)> GetOriginAsync(ProxyTarget target, CancellationToken token)
    {
        var key = _port.Upstream is null ? target.Display : "upstream";
        if (_origin is { } existing)
        {
            if (existing.Key == key && existing.IsUsable())
            {
                return (existing, true);
            }

            DropOrigin();
        }

        Volatile.Write(ref _deadline, long.MaxValue);
        var socket = _port.Upstream is { } upstream
            ? await _proxy.UpstreamDialer.ConnectAsync(upstream, _port.Port, token)
            : await _proxy.DirectDialer.ConnectAsync(target, token);
        _proxy.Connections.SocketOpened();
        Touch();
        _origin = new Origin(key, socket, new SocketReader(socket, OriginBufferSize));
        return (_origin, false);
    }

    private void DropOrigin()
    {
        if (_origin is { } origin)
        {
            _origin = null;
            origin.Socket.Dispose();
            origin.Reader.Dispose();
            _proxy.Connections.SocketClosed();
        }
    }

    private static Framing RequestFraming(RequestHead head)
    {
        var transferEncodings = head.Headers.CountOf("Transfer-Encoding");
        var length = HttpParser.ContentLength(head.Headers);
        if (transferEncodings > 0)
        {
            if (length is not null)
            {
                throw HttpParser.BadRequest("a request may not carry both Transfer-Encoding and Content-Length");
            }

            if (transferEncodings > 1 || !head.Headers.Get("Transfer-Encoding")!.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new ProxyRefusal(501, "request Transfer-Encoding other than chunked is not supported", EgressMetrics.RefusalReasons.BadRequest);
            }

            return new Framing(FramingKind.Chunked, 0);
        }

        return length switch
        {
            null or 0 => new Framing(FramingKind.None, 0),
            < 0 => throw HttpParser.BadRequest("invalid Content-Length"),
            _ => new Framing(FramingKind.Length, length.Value),
        };
    }

    /// <summary>RFC 9112 6.3; null for an invalid Content-Length.</summary>
    private static Framing? ResponseFraming(RequestHead request, ResponseHead response)
    {
        if (request.Method == "HEAD" || response.Status is 204 or 304 || response.Status < 200)
        {
            return new Framing(FramingKind.None, 0);
        }

        if (response.Headers.CountOf("Transfer-Encoding") > 0)
        {
            var codings = string.Join(',', response.Headers.Where(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
            var last = codings.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            return new Framing(string.Equals(last, "chunked", StringComparison.OrdinalIgnoreCase) ? FramingKind.Chunked : FramingKind.UntilClose, 0);
        }

        return HttpParser.ContentLength(response.Headers) switch
        {
            null => new Framing(FramingKind.UntilClose, 0),
            < 0 => null,
            0 => new Framing(FramingKind.None, 0),
            var length => new Framing(FramingKind.Length, length.Value),
        };
    }

    private static byte[] BuildRequestHead(RequestHead head, ProxyTarget target, UpstreamEndpoint? upstream)
    {
        var builder = new StringBuilder(512).Append(head.Method).Append(' ');
        if (upstream is not null)
        {
            builder.Append("http://").Append(target.Authority);
        }

        builder.Append(target.PathAndQuery).Append(head.Http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
        builder.Append("Host: ").Append(target.Authority).Append("\r\n");
        AppendEndToEnd(builder, head.Headers, skipHost: true);
        if (upstream?.ProxyAuthorization is { } authorization)
        {
            builder.Append("Proxy-Authorization: ").Append(authorization).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(builder.Append("\r\n").ToString());
    }

    private static byte[] BuildResponseHead(ResponseHead response, bool close)
    {
        var builder = new StringBuilder(512)
            .Append("HTTP/1.1 ").Append(response.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(response.Reason).Append("\r\n");
        AppendEndToEnd(builder, response.Headers, skipHost: false);
        if (close)
        {
            builder.Append("Connection: close\r\n");
        }

        return Encoding.Latin1.GetBytes(builder.Append("\r\n").ToString());
    }

    private static void AppendEndToEnd(StringBuilder builder, HttpHeaders headers, bool skipHost)
    {
        var optional = headers.ConnectionOptions();
        optional.ExceptWith(NeverOptional);
        foreach (var (name, value) in headers)
        {
            if (HopByHop.Contains(name) || optional.Contains(name) || (skipHost && name.Equals("Host", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            builder.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }

    private async Task CopyBodyAsync(SocketReader from, Socket to, Framing framing, bool up, CancellationToken token)
    {
        switch (framing.Kind)
        {
            case FramingKind.None:
                return;
            case FramingKind.Length:
                await CopyExactAsync(from, to, framing.Length, up, token);
                return;
            case FramingKind.Chunked:
                await CopyChunkedAsync(from, to, up, token);
                return;
            default:
                while (true)
                {
                    if (from.Count == 0 && await from.FillAsync(token, _chunk) == 0)
                    {
                        return;
                    }

                    await ForwardBufferedAsync(from, to, Math.Min(from.Count, _chunk), up, token);
                }
        }
    }

    private async Task CopyExactAsync(SocketReader from, Socket to, long remaining, bool up, CancellationToken token)
    {
        while (remaining > 0)
        {
            if (from.Count == 0 && await from.FillAsync(token, (int)Math.Min(remaining, _chunk)) == 0)
            {
                throw new IOException(up ? "The client closed inside a request body." : "The destination closed inside a response body.");
            }

            var count = (int)Math.Min(Math.Min(from.Count, remaining), _chunk);
            await ForwardBufferedAsync(from, to, count, up, token);
            remaining -= count;
        }
    }

    /// <summary>Relays a chunked body as it is, checking its framing: chunk-size lines, data, CRLFs, last chunk, trailers.</summary>
    private async Task CopyChunkedAsync(SocketReader from, Socket to, bool up, CancellationToken token)
    {
        while (true)
        {
            var line = await ReadLineAsync(from, MaxChunkLine, up, token);
            var size = ChunkSize(from.Span[..(line - 2)]) ?? throw MalformedChunks(up);
            await ForwardBufferedAsync(from, to, line, up, token);
            if (size == 0)
            {
                var trailers = 0;
                while (true)
                {
                    line = await ReadLineAsync(from, MaxChunkLine, up, token);
                    trailers += line;
                    if (trailers > MaxTrailerBytes)
                    {
                        throw MalformedChunks(up);
                    }

                    await ForwardBufferedAsync(from, to, line, up, token);
                    if (line == 2)
                    {
                        return;
                    }
                }
            }

            await CopyExactAsync(from, to, size, up, token);
            if (await ReadLineAsync(from, 2, up, token) != 2)
            {
                throw MalformedChunks(up);
            }

            await ForwardBufferedAsync(from, to, 2, up, token);
        }
    }

    private static long? ChunkSize(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
        var digits = end < 0 ? line : line[..end];
        if (digits.IsEmpty || digits.Length > 15)
        {
            return null;
        }

        long size = 0;
        foreach (var b in digits)
        {
            var value = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (value < 0)
            {
                return null;
            }

            size = (size * 16) + value;
        }

        return size;
    }

    /// <summary>Length of the next CRLF-terminated line in <paramref name="from"/>'s buffer, reading more as needed.</summary>
    private static async ValueTask<int> ReadLineAsync(SocketReader from, int max, bool up, CancellationToken token)
    {
        var scanned = 0;
        while (true)
        {
            var newline = from.Span[scanned..].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = scanned + newline + 1;
                if (length < 2 || from.Span[length - 2] != (byte)'\r' || length > max)
                {
                    throw MalformedChunks(up);
                }

                return length;
            }

            scanned = from.Count;
            if (scanned >= max)
            {
                throw MalformedChunks(up);
            }

            if (await from.FillAsync(token) == 0)
            {
                throw new IOException(up ? "The client closed inside a chunked request body." : "The destination closed inside a chunked response body.");
            }
        }
    }

    private static ProxyRefusal MalformedChunks(bool up) => up
        ? HttpParser.BadRequest("malformed chunked request body")
        : new ProxyRefusal(502, "the destination sent a malformed chunked body", EgressMetrics.RefusalReasons.Unreachable);

    private async ValueTask ForwardBufferedAsync(SocketReader from, Socket to, int count, bool up, CancellationToken token)
    {
        await ThrottleAsync(count, token);
        await to.SendAllAsync(from.Memory[..count], token);
        from.Consume(count);
        Count(up, count);
        Touch();
    }

    private async ValueTask ThrottleAsync(int bytes, CancellationToken token)
    {
        if (_port.User.Limiter is not { } limiter)
        {
            return;
        }

        while (bytes > 0)
        {
            var permits = Math.Min(bytes, _port.User.ChunkLimit);
            using var lease = await limiter.AcquireAsync(permits, token);
            if (lease.IsAcquired)
            {
                bytes -= permits;
            }
        }
    }

    private void Count(bool up, int bytes)
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

    private void CountUp(int bytes)
    {
        _up += bytes;
        Interlocked.Add(ref _port.User.BytesUp, bytes);
        _proxy.Metrics.BytesUp.Inc(bytes);
    }

    private void CountDown(int bytes)
    {
        _down += bytes;
        Interlocked.Add(ref _port.User.BytesDown, bytes);
        _proxy.Metrics.BytesDown.Inc(bytes);
    }

    private void Touch() => Volatile.Write(ref _deadline, _proxy.Clock.GetTimestamp() + _proxy.IdleTicks);

    private void SetDeadline(TimeSpan after, string reason)
    {
        _deadlineReason = reason;
        Volatile.Write(ref _deadline, _proxy.Clock.GetTimestamp() + ProxyContext.ToTicks(after, _proxy.Clock));
    }

    private void BeginExchange()
    {
        _kind = "-";
        _destination = "-";
        _outcome = "ok";
        _status = 0;
        _up = _down = 0;
        _responseStarted = false;
        _requestHasBody = false;
        _started = _proxy.Clock.GetTimestamp();
    }

    private void EndExchange(string outcome, int status) =>
        ProxyLog.Exchange(_proxy.Logger, _kind, _destination, _port.Port, outcome, status, _up, _down, _proxy.Clock.GetElapsedTime(_started).TotalMilliseconds);

    /// <summary>Best effort: a refusal to a client that may already be gone.</summary>
    private async Task TrySendAsync(byte[] response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _proxy.Clock);
            await _client.SendAllAsync(response, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private void Close()
    {
        Volatile.Write(ref _deadline, long.MaxValue);
        DropOrigin();
        _reader.Dispose();
        try
        {
            // Graceful FIN when possible; the peer sees an orderly close after our last answer.
            _client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _client.Dispose();
        _proxy.Connections.Closed(this, _authenticated);
    }

    private enum FramingKind
    {
        None,
        Length,
        Chunked,
        UntilClose,
    }

    private readonly record struct Framing(FramingKind Kind, long Length);

    private sealed class Origin(string key, Socket socket, SocketReader reader)
    {
        public string Key { get; } = key;

        public Socket Socket { get; } = socket;

        public SocketReader Reader { get; } = reader;

        /// <summary>An idle connection that has something to read was closed (or misbehaves): not reusable.</summary>
        public bool IsUsable()
        {
            try
            {
                return Reader.Count == 0 && !Socket.Poll(0, SelectMode.SelectRead);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }
}

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

/// <summary>The token in a <c>Proxy-Authorization</c> value.</summary>
internal static class ProxyCredentials
{
    /// <summary>
    /// <c>Basic base64(user:TOKEN)</c> (the user name is ignored; a token given as the user name
    /// with an empty password is accepted too) or <c>Bearer TOKEN</c>; null otherwise.
    /// </summary>
    public static string? Token(string value)
    {
        value = value.Trim();
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return null;
        }

        var scheme = value[..space];
        var parameter = value[(space + 1)..].Trim();
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return parameter.Length > 0 ? parameter : null;
        }

        if (!scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        var token = colon < 0 ? decoded : decoded[(colon + 1)..];
        if (token.Length == 0 && colon > 0)
        {
            token = decoded[..colon];
        }

        return token.Length > 0 ? token : null;
    }
}

internal static class TunnelRelay
{
    /// <summary>
    /// Largest read in a tunnel: a pooled buffer of up to this size per direction while data
    /// flows, none while it does not. 128 KiB measured as cheap in CPU as 256 KiB (bench/, within
    /// noise) at half the memory per busy tunnel; 64 KiB cost about 15 % more CPU per GB.
    /// </summary>
    public const int LargestRead = 128 * 1024;
}
