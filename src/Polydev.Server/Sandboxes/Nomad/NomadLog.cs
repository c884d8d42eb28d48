using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes.Nomad;

internal static partial class NomadLog
{
    [LoggerMessage(EventName = "nomad_no_egress_gateway", Level = LogLevel.Warning, Message = "No ready Nomad node has meta {ReadyMeta} = ready: networked sandboxes cannot be placed until the egress gateway job runs on the sandbox nodes (deploy/nomad/polydev-egress.nomad.hcl)")]
    public static partial void NoGateway(ILogger logger, string readyMeta);
}
