namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// The tests of the Nomad engine on the stand-in cluster: one at a time among themselves (nodes are lost and drained),
/// beside the parallel tests, since most of their time is spent waiting on heartbeats and allocations.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NomadClusterCollection
{
    public const string Name = "Nomad stand-in cluster";
}
