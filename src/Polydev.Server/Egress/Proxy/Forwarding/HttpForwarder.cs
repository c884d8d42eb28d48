using System.Runtime.ExceptionServices;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// An absolute-URI request (<c>GET http://host/path</c>): authenticate, send the request on to
/// the destination (or the upstream, with Polydev's credentials) over the connection kept from
/// the previous request when it is still good, and relay the response with its framing intact.
/// The request body goes up while the response comes down, so a destination that answers early
/// is not blocked.
/// </summary>
internal static class HttpForwarder
{
    private const int OriginHeadLimit = 64 * 1024;

    /// <returns>Whether the client connection stays open for another request.</returns>
    public static async Task<bool> ForwardAsync(ProxyConnection connection, RequestHead head, CancellationToken token)
    {
        var target = ProxyTarget.ParseAbsolute(head.Target);
        connection.Exchange.Destination = target.Display;
        var body = Framing.ForRequest(head);
        connection.Exchange.RequestHasBody = body.Kind != FramingKind.None;
        await ProxyAuthentication.AuthenticateAsync(connection, head, token);
        connection.SetDeadline(connection.Context.Options.IdleTimeout, AbortReasons.IdleTimeout);

        for (var attempt = 0; ; attempt++)
        {
            if (await ExchangeAsync(connection, head, target, body, retryAllowed: attempt == 0, token) is { } keepAlive)
            {
                return keepAlive;
            }
        }
    }

    /// <returns>Whether the client connection stays open; null to retry once on a fresh connection (a reused one was stale).</returns>
    private static async Task<bool?> ExchangeAsync(ProxyConnection connection, RequestHead head, ProxyTarget target, Framing body, bool retryAllowed, CancellationToken token)
    {
        var context = connection.Context;
        var client = connection.Client;
        var log = connection.Exchange;
        var upstream = connection.Port.UpstreamFor(target);
        var (origin, reused) = await OriginConnection.GetAsync(connection, target, token);
        var requestHead = ForwardedHeads.Request(head, target, upstream);

        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task? bodyTask = null;
        Exception? bodyFailure = null;
        try
        {
            await origin.Socket.SendAllAsync(requestHead, token);
            connection.CountUp(requestHead.Length);
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
                    if (reused && retryAllowed && bodyTask is null && !log.ResponseStarted)
                    {
                        connection.DropOrigin();
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
                    throw context.UpstreamDialer.Refusal(upstream, connection.Port.Port, "upstream proxy refused Polydev's credentials", "407 to a forwarded request: credentials refused");
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
                var interim = ForwardedHeads.Response(response, close: false);
                await client.SendAllAsync(interim, token);
                connection.CountDown(interim.Length);
            }

            var framing = Framing.ForResponse(head, response)
                ?? throw new ProxyRefusal(502, $"{(upstream is null ? target.Display : "the upstream proxy")} sent an invalid Content-Length", upstream is null ? EgressMetrics.RefusalReasons.Unreachable : EgressMetrics.RefusalReasons.Upstream);
            var keepAlive = head.Http11 && !head.Headers.HasToken("Connection", "close") && !head.Headers.HasToken("Proxy-Connection", "close")
                && framing.Kind != FramingKind.UntilClose && !context.IsShuttingDown;
            var originReusable = head.Http11 && response.Http11 && !response.Headers.HasToken("Connection", "close") && framing.Kind != FramingKind.UntilClose;

            var responseHead = ForwardedHeads.Response(response, close: !keepAlive);
            await client.SendAllAsync(responseHead, token);
            log.ResponseStarted = true;
            log.Status = response.Status;
            connection.CountDown(responseHead.Length);
            await BodyRelay.CopyAsync(connection, origin.Reader, client, framing, up: false, token);

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
                connection.DropOrigin();
            }

            log.Outcome = "ok";
            return keepAlive;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested && bodyFailure is not null)
        {
            // The request body failed (client gone, malformed chunks) while waiting for the response.
            connection.DropOrigin();
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

            connection.DropOrigin();
            throw;
        }

        async Task CopyRequestBodyAsync()
        {
            try
            {
                await BodyRelay.CopyAsync(connection, connection.Reader, origin.Socket, body, up: true, exchange.Token);
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
}
