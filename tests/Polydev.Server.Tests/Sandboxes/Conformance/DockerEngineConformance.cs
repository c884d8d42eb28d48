namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>The conformance suite against <see cref="Polydev.Server.Sandboxes.Docker.DockerSandboxEngine"/> on the real daemon.</summary>
[Collection(DockerSandboxCollection.Name)]
public sealed class DockerEngineConformance(DockerEngineUnderTest docker)
    : SandboxEngineConformance(docker), IClassFixture<DockerEngineUnderTest>;
