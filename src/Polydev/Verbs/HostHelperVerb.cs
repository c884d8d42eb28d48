using System.CommandLine;
using Polydev.Server.Sandboxes.Docker.HostOperations;

namespace Polydev.Verbs;

/// <summary>
/// <c>polydev docker-helper</c>: the Docker engine's root work (firewall, scratch disks, the resolver rule, CPU burst)
/// for a server that runs without privileges (docs/sandboxes.md, "The Docker helper"). Runs as root; systemd starts it
/// from polydev-docker-helper.socket (deploy/systemd). Its types live with the Docker engine (Sandboxes/Docker/HostOperations).
/// </summary>
internal static class HostHelperVerb
{
    public static Command Create()
    {
        var socket = new Option<string?>("--socket") { Description = "The Unix socket to serve when systemd passes none (env POLYDEV_SANDBOXES__DOCKER__HELPER).", HelpName = "PATH" };
        var urls = new Option<string?>("--urls") { Description = "Where /metrics and /health listen (default http://127.0.0.1:9903; env POLYDEV_SANDBOXES__DOCKER__HELPERURLS)." };
        var command = new Command("docker-helper", "Do the Docker engine's root work on this host for an unprivileged server: its firewall chain, sandboxes' scratch disks, resolver rule and CPU burst.")
        {
            socket, urls,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (parse.GetValue(socket) is { } path)
            {
                overrides["Sandboxes:Docker:Helper"] = path;
            }

            if (parse.GetValue(urls) is { } listen)
            {
                overrides["Sandboxes:Docker:HelperUrls"] = listen;
            }

            return await HostedVerb.RunAsync("docker-helper", () => HelperHost.Build(overrides), cancellationToken);
        });
        return command;
    }
}
