namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>The conformance suite against <see cref="Polydev.Server.Sandboxes.Nomad.NomadSandboxEngine"/> on the stand-in cluster (two nodes, real containers).</summary>
[Collection(NomadConformanceCollection.Name)]
public sealed class NomadEngineConformance(NomadEngineUnderTest nomad)
    : SandboxEngineConformance(nomad), IClassFixture<NomadEngineUnderTest>;
