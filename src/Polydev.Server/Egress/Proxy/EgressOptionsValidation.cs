using System.Globalization;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Egress.Proxy;

/// <summary>Refuses <see cref="EgressOptions"/> the proxy cannot run with, at start, with the setting's name.</summary>
internal static class EgressOptionsValidation
{
    /// <summary>
    /// Besides <see cref="Validate(EgressOptions)"/>, what depends on where the server runs: host overrides send a
    /// sandbox's traffic for real names elsewhere, so a Production server (what <c>polydev server</c> is) takes them
    /// only when the operator says so a second time.
    /// </summary>
    public static void Validate(EgressOptions options, IHostEnvironment environment)
    {
        Validate(options);
        if (options.HostOverrides.Count > 0 && environment.IsProduction() && !options.AllowHostOverrides)
        {
            throw new ArgumentException(
                $"Egress:HostOverrides is set ({string.Join(", ", options.HostOverrides.Keys)}) but this server runs as Production. " +
                "Host overrides are for test doubles; set Egress:AllowHostOverrides=true to use them anyway, or remove Egress:HostOverrides.");
        }
    }

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

        foreach (var gateway in options.Gateways)
        {
            if (!System.Net.IPNetwork.TryParse(gateway, out _))
            {
                throw new ArgumentException($"Egress:Gateways entry '{gateway}' is not a CIDR block (e.g. 10.0.0.0/16).");
            }
        }

        if (options.MaxTunnelsPerUser < 1)
        {
            throw new ArgumentException("Egress:MaxTunnelsPerUser must be at least 1.");
        }

        if (options.BandwidthBytesPerSecond < 0)
        {
            throw new ArgumentException("Egress:BandwidthBytesPerSecond may not be negative (0 means no cap).");
        }

        // Parsed again by the proxy; here so a bad entry stops the start with its name.
        _ = new HostOverrides(options.HostOverrides);
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Egress:{name} must be positive (it is {value.ToString("c", CultureInfo.InvariantCulture)}).");
        }
    }
}

/// <summary>
/// Runs <see cref="EgressOptionsValidation"/> with the host's environment when the options are first read; with
/// <c>ValidateOnStart</c> a bad setting stops the server before it listens, with the message that names it.
/// </summary>
internal sealed class EgressOptionsValidator(IHostEnvironment environment) : IValidateOptions<EgressOptions>
{
    public ValidateOptionsResult Validate(string? name, EgressOptions options)
    {
        try
        {
            EgressOptionsValidation.Validate(options, environment);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
