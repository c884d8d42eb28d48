using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Gateway;

internal static partial class EgressGatewayLog
{
    [LoggerMessage(EventName = "egress_gateway_started", Level = LogLevel.Information, Message = "Egress gateway relaying {Relay} (ports {FirstPort}–{LastPort} redirected here) to {Upstream}")]
    public static partial void Started(ILogger logger, string relay, int firstPort, int lastPort, string upstream);

    [LoggerMessage(EventName = "egress_gateway_upstream_unreachable", Level = LogLevel.Warning, Message = "Egress gateway could not reach the server's proxy at {Upstream} port {Port}: {Problem}")]
    public static partial void UpstreamUnreachable(ILogger logger, string upstream, int port, string problem);
}
