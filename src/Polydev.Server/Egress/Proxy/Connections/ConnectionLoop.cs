using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// What a client connection does from accept to close: reads request heads, hands each to
/// <see cref="ConnectTunnel"/> (which ends the connection) or <see cref="HttpForwarder"/>,
/// answers refusals and timeouts, and keeps the connection alive between requests when both
/// sides allow it.
/// </summary>
internal static class ConnectionLoop
{
    /// <summary>407s one connection may collect before it is sent away.</summary>
    private const int MaxFailedAuthentications = 8;

    public static async Task RunAsync(ProxyConnection connection)
    {
        var context = connection.Context;
        var token = connection.Aborted;
        var first = true;
        try
        {
            if (context.IsGateway(connection.ClientAddress) && !await GatewayHeader.ReadAsync(connection, token))
            {
                return;
            }

            while (!context.IsShuttingDown && !token.IsCancellationRequested)
            {
                connection.AwaitingHead(first);
                RequestHead? head;
                try
                {
                    head = await RequestHeadReader.ReadAsync(connection, first, token);
                }
                catch (ProxyRefusal refusal)
                {
                    connection.Exchange.Begin();
                    context.Metrics.Refusals.WithLabels(refusal.MetricReason).Inc();
                    await connection.TrySendAsync(refusal.ToResponse(keepAlive: false));
                    connection.Exchange.End("refused: " + refusal.Message, refusal.Status);
                    return;
                }

                if (head is null)
                {
                    return;
                }

                first = false;
                connection.Busy();
                if (!await HandleExchangeAsync(connection, head, token))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            if (connection.AbortReason is AbortReasons.HeadersTimeout && (first || connection.HeadBytesSeen))
            {
                // A client too slow to send its request (or one that never does): say so, then close.
                connection.Exchange.Begin();
                context.Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.Timeout).Inc();
                await connection.TrySendAsync(ProxyResponses.Build(408, keepAlive: false));
                if (connection.HeadBytesSeen)
                {
                    connection.Exchange.End($"timeout: the request was not complete within {ProxyResponses.Seconds(context.Options.RequestHeadersTimeout)} s", 408);
                }
                else
                {
                    ProxyLog.Dropped(context.Logger, connection.Port.Port, "no request within the headers timeout");
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            ProxyLog.Dropped(context.Logger, connection.Port.Port, "connection lost");
        }
        catch (Exception e)
        {
            ProxyLog.Unexpected(context.Logger, e, connection.Port.Port);
        }
        finally
        {
            connection.Close();
        }
    }

    /// <returns>Whether the client connection stays open for another request.</returns>
    private static async Task<bool> HandleExchangeAsync(ProxyConnection connection, RequestHead head, CancellationToken token)
    {
        var context = connection.Context;
        var exchange = connection.Exchange;
        exchange.Begin();
        try
        {
            if (head.Method == "CONNECT")
            {
                exchange.Kind = "connect";
                context.Metrics.ConnectRequests.Inc();
                await ConnectTunnel.RunAsync(connection, head, token);
                return false;
            }

            exchange.Kind = "http";
            context.Metrics.HttpRequests.Inc();
            return await HttpForwarder.ForwardAsync(connection, head, token);
        }
        catch (ProxyRefusal refusal)
        {
            context.Metrics.Refusals.WithLabels(refusal.MetricReason).Inc();
            if (exchange.ResponseStarted)
            {
                exchange.Outcome = "failed: " + refusal.Message;
                return false;
            }

            // A client that keeps failing authentication on one connection is sent away.
            var keepAlive = refusal.KeepAlive && !exchange.RequestHasBody && head.Http11 && !head.Headers.HasToken("Connection", "close")
                && !context.IsShuttingDown && (refusal.Status != 407 || ++connection.FailedAuthentications <= MaxFailedAuthentications);
            await connection.TrySendAsync(refusal.ToResponse(keepAlive));
            exchange.Outcome = "refused: " + refusal.Message;
            exchange.Status = refusal.Status;
            return keepAlive;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            exchange.Outcome = connection.AbortReason ?? "cut";
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            exchange.Outcome = "connection lost: " + (e is SocketException socket ? socket.SocketErrorCode.ToString() : e.Message);
            return false;
        }
        finally
        {
            exchange.End(exchange.Outcome, exchange.Status);
        }
    }
}
