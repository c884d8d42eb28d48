using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Polydev.Testing;

/// <summary>Certificates made at run time for loopback HTTPS servers in tests and benchmarks.</summary>
public static class TestCertificates
{
    /// <summary>A throw-away CA and a leaf certificate (with its key) for <c>localhost</c>, 127.0.0.1 and ::1, issued by it.</summary>
    public static (X509Certificate2 Authority, X509Certificate2 Leaf) CreateLocalhost() => Create(["localhost"]);

    /// <summary>
    /// A throw-away CA and a leaf for <paramref name="hostNames"/> (and loopback), issued by it: a local stand-in for
    /// real host names (a provider's sign-in servers) that a program trusting the CA cannot tell from them.
    /// </summary>
    public static (X509Certificate2 Authority, X509Certificate2 Leaf) Create(IReadOnlyList<string> hostNames)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Polydev test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=" + hostNames[0], leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames)
        {
            names.AddDnsName(name);
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var issued = leafRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(leafKey);

        // A PKCS#12 round trip gives Kestrel a key it can use on every platform.
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        var authority = X509CertificateLoader.LoadCertificate(ca.RawData);
        return (authority, leaf);
    }
}
