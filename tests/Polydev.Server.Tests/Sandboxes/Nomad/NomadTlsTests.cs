using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Testing;
using Polydev.Testing.Nomad;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// The engine on a cluster whose agents speak HTTPS and require a client certificate (Nomad's <c>verify_https_client</c>):
/// with the cluster's CA and its client certificate it creates a sandbox and runs a process in it (the exec WebSocket
/// over TLS too); without the client certificate, or trusting another CA, it is refused and says it could not connect.
/// </summary>
[Collection(NomadClusterCollection.Name)]
public sealed class NomadTlsTests
{
    [Fact]
    public async Task With_the_clusters_CA_and_a_client_certificate_it_works_and_without_either_it_is_refused()
    {
        await Conformance.DockerEngineUnderTest.EnsureImageAsync();
        var (serverAuthority, serverLeaf) = TestCertificates.CreateLocalhost();
        var (clientAuthority, clientLeaf) = TestCertificates.Create(["polydev-server"]);
        using var directory = new TempDirectory();
        var caFile = directory.Write("ca.pem", serverAuthority.ExportCertificatePem());
        var certFile = directory.Write("client.pem", clientLeaf.ExportCertificatePem());
        var keyFile = directory.Write("client-key.pem", ((System.Security.Cryptography.ECDsa)clientLeaf.GetECDsaPrivateKey()!).ExportPkcs8PrivateKeyPem());
        var otherCaFile = directory.Write("other-ca.pem", clientAuthority.ExportCertificatePem());

        await using var cluster = await NomadStandIn.StartAsync(new NomadStandInOptions
        {
            ManagementToken = NomadTestCluster.Token,
            ServerCertificate = serverLeaf,
            ClientCertificateAuthority = clientAuthority,
        });
        Assert.Equal("https", cluster.Address.Scheme);

        NomadEngineOptions Options(string? ca, bool clientCertificate) => new()
        {
            Address = cluster.Address.ToString(),
            Token = NomadTestCluster.Token,
            CaCertificate = ca,
            ClientCertificate = clientCertificate ? certFile : null,
            ClientKey = clientCertificate ? keyFile : null,
            JobPrefix = "polydev-tls-" + Guid.NewGuid().ToString("N")[..8] + "-",
        };

        await using (var sandboxes = Harness(Options(caFile, clientCertificate: true)))
        {
            var sandbox = await sandboxes.CreateAsync();
            Assert.Equal((0, "over tls\n", ""), await sandboxes.RunAsync(sandbox, "echo over tls"));
        }

        foreach (var (name, options) in new[] { ("no client certificate", Options(caFile, false)), ("another CA", Options(otherCaFile, true)) })
        {
            // Not disposed: its disposal lists what it owns, which it cannot reach either.
            var refused = Harness(options);
            var e = await Assert.ThrowsAsync<SandboxEngineException>(() => refused.CreateAsync());
            Assert.True(e.IsUnreachable, $"{name}: {e.Message}");
            Assert.Contains("does not answer", e.Detail, StringComparison.Ordinal);
        }
    }

    private static SandboxTestHarness Harness(NomadEngineOptions options) =>
        new((metrics, loggers) => new NomadSandboxEngine(new NomadClient(options), options, metrics, loggers.CreateLogger<NomadSandboxEngine>()), SandboxTestImage.Reference);

    private sealed class TempDirectory : IDisposable
    {
        private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("polydev-nomad-tls-");

        public string Write(string name, string text)
        {
            var path = Path.Combine(_directory.FullName, name);
            File.WriteAllText(path, text);
            return path;
        }

        public void Dispose() => _directory.Delete(recursive: true);
    }
}
