using System.Globalization;

namespace Polydev.Server.Egress.Proxy;

/// <summary>Refuses <see cref="EgressOptions"/> the proxy cannot run with, at start, with the setting's name.</summary>
internal static class EgressOptionsValidation
{
    public static void Validate(EgressOptions options)
    {
        Positive(options.ConnectTimeout, nameof(options.ConnectTimeout));
        Positive(options.IdleTimeout, nameof(options.IdleTimeout));
        Positive(options.RequestHeadersTimeout, nameof(options.RequestHeadersTimeout));
        if (options.ShutdownGrace < TimeSpan.Zero)
        {
            throw new ArgumentException("Egress:ShutdownGrace may not be negative.");
        }

        if (options.MaxRequestHeaderBytes is < 1024 or > 1024 * 1024)
        {
            throw new ArgumentException("Egress:MaxRequestHeaderBytes must be between 1024 and 1048576.");
        }

        if (options.MaxTunnelsPerUser < 1)
        {
            throw new ArgumentException("Egress:MaxTunnelsPerUser must be at least 1.");
        }

        if (options.BandwidthBytesPerSecond < 0)
        {
            throw new ArgumentException("Egress:BandwidthBytesPerSecond may not be negative (0 means no cap).");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Egress:{name} must be positive (it is {value.ToString("c", CultureInfo.InvariantCulture)}).");
        }
    }
}
