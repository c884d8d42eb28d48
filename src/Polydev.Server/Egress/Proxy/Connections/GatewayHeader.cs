using Polydev.Server.Egress.Gateway;

namespace Polydev.Server.Egress.Proxy;

/// <summary>The PROXY v2 header an egress gateway sends first (<see cref="ProxyProtocolHeader"/>): the client becomes the sandbox it names.</summary>
internal static class GatewayHeader
{
    /// <summary>Reads and consumes the header; false (the connection is closed) when it is missing, malformed or cut short.</summary>
    public static async Task<bool> ReadAsync(ProxyConnection connection, CancellationToken token)
    {
        var reader = connection.Reader;
        try
        {
            while (reader.Count < ProxyProtocolHeader.FixedLength)
            {
                if (await reader.FillAsync(token) == 0)
                {
                    return false;
                }
            }

            var length = ProxyProtocolHeader.TotalLength(reader.Span);
            while (reader.Count < length)
            {
                if (await reader.FillAsync(token) == 0)
                {
                    return false;
                }
            }

            var (sandbox, _) = ProxyProtocolHeader.Read(reader.Span[..length]);
            reader.Consume(length);
            connection.ClientAddress = sandbox.Address;
            return true;
        }
        catch (FormatException e)
        {
            connection.Context.Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.BadRequest).Inc();
            ProxyLog.GatewayHeaderRefused(connection.Context.Logger, connection.Port.Port, e.Message);
            return false;
        }
    }
}
