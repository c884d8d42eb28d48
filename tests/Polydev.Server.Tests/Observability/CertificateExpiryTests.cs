using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Observability;
using Prometheus;

namespace Polydev.Server.Tests.Observability;

/// <summary>The TLS expiry series that the certificate alert reads: each watched file's notAfter, read again at every scrape.</summary>
public sealed class CertificateExpiryTests
{
    [Fact]
    public async Task Each_certificate_reports_its_not_after_a_renewal_shows_at_the_next_scrape_and_an_unreadable_file_is_zero()
    {
        var directory = Directory.CreateTempSubdirectory("polydev-certificates-").FullName;
        var path = Path.Combine(directory, "fullchain.pem");
        var firstExpiry = new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await File.WriteAllTextAsync(path, SelfSigned(firstExpiry));
        var registry = Metrics.NewCustomRegistry();
        _ = new CertificateExpiry(
            [new WatchedCertificate("https", path), new WatchedCertificate("turn", Path.Combine(directory, "missing.pem"))], registry, NullLogger<CertificateExpiry>.Instance);

        var scrape = await ScrapeAsync(registry);
        Assert.Contains($"polydev_tls_certificate_expiry_timestamp_seconds{{certificate=\"https\"}} {firstExpiry.ToUnixTimeSeconds()}", scrape);
        Assert.Contains("polydev_tls_certificate_expiry_timestamp_seconds{certificate=\"turn\"} 0", scrape);

        var renewed = firstExpiry.AddDays(90);
        await File.WriteAllTextAsync(path, SelfSigned(renewed));
        Assert.Contains($"polydev_tls_certificate_expiry_timestamp_seconds{{certificate=\"https\"}} {renewed.ToUnixTimeSeconds()}", await ScrapeAsync(registry));

        await File.WriteAllTextAsync(path, "not a certificate");
        Assert.Contains("polydev_tls_certificate_expiry_timestamp_seconds{certificate=\"https\"} 0", await ScrapeAsync(registry));
    }

    private static string SelfSigned(DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=polydev.test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(notAfter.AddDays(-30), notAfter);
        return certificate.ExportCertificatePem();
    }

    private static async Task<string> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
