using System.CommandLine;
using Polydev.Server.Hosting;

namespace Polydev.Verbs;

/// <summary>
/// <c>polydev egress gateway</c> (beside the user's <c>egress status</c> and <c>egress token</c>): a Nomad cluster's sandbox node's way to the server's egress proxy (docs/nomad.md,
/// "Egress on a cluster"), run as a system job. Needs root (it installs the node's firewall rules).
/// </summary>
internal static class EgressVerb
{
    public static Command Gateway()
    {
        var upstream = new Option<string?>("--upstream") { Description = "The server's egress proxy (host or address; env POLYDEV_EGRESS__GATEWAY__UPSTREAM).", HelpName = "HOST" };
        var urls = new Option<string?>("--urls") { Description = $"Where /metrics and /health listen (default {EgressGatewayHost.DefaultUrls}; env POLYDEV_URLS)." };
        var nomad = new Option<string?>("--nomad") { Description = "This node's Nomad client agent, to mark the node ready for sandboxes (env POLYDEV_EGRESS__GATEWAY__NOMADADDRESS; token from NOMAD_TOKEN).", HelpName = "URL" };
        var gateway = new Command("gateway", "Relay this node's sandboxes to the server's egress proxy: make the sandbox network and its firewall, relay the egress ports, mark the node ready.")
        {
            upstream, urls, nomad,
        };
        gateway.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (parse.GetValue(upstream) is { } host)
            {
                overrides["Egress:Gateway:Upstream"] = host;
            }

            if (parse.GetValue(urls) is { } listen)
            {
                overrides["Urls"] = listen;
            }

            if (parse.GetValue(nomad) is { } agent)
            {
                overrides["Egress:Gateway:NomadAddress"] = agent;
            }

            return await HostedVerb.RunAsync("egress gateway", () => EgressGatewayHost.Build(overrides), cancellationToken);
        });
        return gateway;
    }
}
