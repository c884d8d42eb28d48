using System.Text;
using Polydev.Server.Sandboxes;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// The conformance suite against the Docker engine with its root work done by the Docker helper (docs/sandboxes.md,
/// "The Docker helper"): the isolation an unprivileged server gets is the same, rule for rule.
/// </summary>
[Collection(DockerHelperCollection.Name)]
public sealed class DockerHelperEngineConformance(DockerHelperEngineUnderTest docker)
    : SandboxEngineConformance(docker), IClassFixture<DockerHelperEngineUnderTest>
{
    /// <summary>The suite above passes because of the helper, not beside it: it did every kind of root work asked.</summary>
    [Fact]
    public async Task The_helper_did_the_root_work_of_a_networked_sandbox()
    {
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Network = Under.Network });
        Assert.NotNull(await Engine.InspectAsync(sandbox));
        await Engine.DestroyAsync(sandbox);

        using var text = new MemoryStream();
        await docker.HelperRegistry.CollectAndExportAsTextAsync(text);
        var served = Encoding.UTF8.GetString(text.ToArray());
        foreach (var operation in (string[])["firewall.install", "scratch.create", "dns.block", "cpu.burst", "oom.count", "scratch.remove"])
        {
            Assert.Matches($"polydev_docker_helper_served_requests_total\\{{operation=\"{operation}\",outcome=\"ok\"\\}} [1-9]", served);
        }
    }
}
