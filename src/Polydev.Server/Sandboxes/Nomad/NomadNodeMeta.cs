using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// Marks this node for sandboxes through its own Nomad client agent's dynamic node metadata
/// (<c>POST /v1/client/metadata</c>, Nomad 1.5+): set once the node's egress gateway relays, removed when it stops,
/// so the scheduler places networked sandboxes only where they can get out, and only through the gateway.
/// </summary>
public sealed class NomadNodeMeta(NomadClient client, string key)
{
    public Task MarkReadyAsync(CancellationToken cancellationToken) => SetAsync("ready", cancellationToken);

    public Task ClearAsync(CancellationToken cancellationToken) => SetAsync(null, cancellationToken);

    private async Task SetAsync(string? value, CancellationToken cancellationToken) =>
        await client.PostAsync("v1/client/metadata", new JsonObject { ["Meta"] = new JsonObject { [key] = value } }, "node meta", cancellationToken);
}
