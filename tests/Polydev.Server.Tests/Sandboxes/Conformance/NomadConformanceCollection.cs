namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// The conformance suite on its own stand-in cluster, beside the Nomad engine's other tests (which lose and drain the
/// nodes of theirs): most of its time is spent waiting on allocations.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NomadConformanceCollection
{
    public const string Name = "Nomad conformance";
}
