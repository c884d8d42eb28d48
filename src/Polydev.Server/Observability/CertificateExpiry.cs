using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;

namespace Polydev.Server.Observability;

/// <summary>A PEM certificate a service of this host serves TLS with; <see cref="Name"/> is its label on the expiry series.</summary>
public sealed record WatchedCertificate(string Name, string Path);

/// <summary>
/// <c>polydev_tls_certificate_expiry_timestamp_seconds{certificate}</c>: when each watched certificate stops being valid,
/// read from its file at every scrape, so a renewal on disk shows at once. 0 when the file cannot be read or holds no
/// certificate, which the expiry alert takes for "expired". Certificates come from <c>Observability:Certificates:&lt;name&gt;</c>
/// (the reverse proxy's, say) and from the parts that serve TLS themselves (TURN's, as <c>turn</c>).
/// </summary>
public sealed partial class CertificateExpiry
{
    public const string Section = "Observability:Certificates";

    private readonly IReadOnlyList<WatchedCertificate> _certificates;
    private readonly Gauge _expiry;
    private readonly ILogger<CertificateExpiry> _logger;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public CertificateExpiry(IEnumerable<WatchedCertificate> certificates, CollectorRegistry registry, ILogger<CertificateExpiry> logger)
    {
        _certificates = certificates.ToList();
        _logger = logger;
        _expiry = registry.Gauge(
            "polydev_tls_certificate_expiry_timestamp_seconds",
            "When each TLS certificate this host serves stops being valid (its notAfter, Unix seconds), by certificate; 0 when its file cannot be read.",
            "certificate");
        registry.AddBeforeCollectCallback(Refresh);
    }

    /// <summary>Reads every watched file again.</summary>
    public void Refresh()
    {
        foreach (var certificate in _certificates)
        {
            _expiry.WithLabels(certificate.Name).Set(ReadNotAfter(certificate) ?? 0);
        }
    }

    private double? ReadNotAfter(WatchedCertificate certificate)
    {
        try
        {
            // The first certificate of the file: the leaf of a full chain.
            using var read = X509Certificate2.CreateFromPem(File.ReadAllText(certificate.Path));
            lock (_reported)
            {
                _reported.Remove(certificate.Name);
            }

            return new DateTimeOffset(read.NotAfter.ToUniversalTime()).ToUnixTimeSeconds();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            lock (_reported)
            {
                // Once until it reads again: a scrape every 15 s would otherwise repeat it.
                if (_reported.Add(certificate.Name))
                {
                    Unreadable(_logger, certificate.Name, certificate.Path, e.Message);
                }
            }

            return null;
        }
    }

    [LoggerMessage(EventName = "certificate_unreadable", Level = LogLevel.Warning, Message = "TLS certificate {Certificate} ({Path}) cannot be read: {Problem}; its expiry series is 0")]
    private static partial void Unreadable(ILogger logger, string certificate, string path, string problem);
}

public static class CertificateExpiryServices
{
    /// <summary>The certificates named under <c>Observability:Certificates</c>, and the series that watches every registered one.</summary>
    public static IServiceCollection AddWatchedCertificates(this IServiceCollection services, IConfiguration configuration)
    {
        foreach (var entry in configuration.GetSection(CertificateExpiry.Section).GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(entry.Value))
            {
                services.AddWatchedCertificate(entry.Key, entry.Value);
            }
        }

        services.TryAddSingleton(sp => new CertificateExpiry(
            sp.GetServices<WatchedCertificate>(), Metrics.DefaultRegistry, sp.GetRequiredService<ILogger<CertificateExpiry>>()));
        return services;
    }

    public static IServiceCollection AddWatchedCertificate(this IServiceCollection services, string name, string path) =>
        services.AddSingleton(new WatchedCertificate(name, path));
}
