namespace Polydev.Server.Egress.Gateway;

/// <summary>
/// <c>Egress:Gateway:*</c> (environment: <c>POLYDEV_EGRESS__GATEWAY__…</c>): the egress gateway a cluster node runs
/// (<c>polydev egress gateway</c>, docs/nomad.md). The port range is the server's (<c>Egress:FirstPort</c>,
/// <c>Egress:LastPort</c>), the sandbox network the node's (<c>Sandboxes:Docker:Network</c>).
/// </summary>
public sealed class EgressGatewayOptions
{
    public const string Section = "Egress:Gateway";

    /// <summary>The server's egress proxy: a host name or address the node reaches; each connection keeps its port.</summary>
    public string Upstream { get; set; } = "";

    /// <summary>The local port connections to the egress range are redirected to (outside the range).</summary>
    public int RelayPort { get; set; } = 9901;

    /// <summary>Time allowed to open the connection to the server's proxy.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The Nomad client agent of this node, to mark it ready (node meta) once the relay runs; null: not marked.</summary>
    public string? NomadAddress { get; set; }

    /// <summary>The node meta key set to <c>ready</c> (the Nomad engine's <c>Sandboxes:Nomad:Egress:ReadyMeta</c>).</summary>
    public string ReadyMeta { get; set; } = "polydev_egress";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Upstream))
        {
            throw new InvalidOperationException("Egress:Gateway:Upstream must name the server's egress proxy (host or address).");
        }

        if (RelayPort is < 1 or > 65535)
        {
            throw new InvalidOperationException("Egress:Gateway:RelayPort must be a TCP port.");
        }
    }
}
