using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polydev.Contracts.Egress;

namespace Polydev.Server.Egress;

/// <summary>
/// Asks the configured "what is my IP" service through the user's own egress port, with a
/// one-minute token revoked right after: the same path a sandbox's traffic takes, end to end.
/// </summary>
public sealed class EgressLiveCheck(EgressService egress, EgressTokenStore tokens, EgressTokenAuthenticator authenticator, IOptions<EgressOptions> options)
{
    private const int MaxBodyChars = 1024;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.WhatIsMyIpUrl);

    public async Task<EgressCheckResponse> CheckAsync(Guid userId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var port = await egress.EnsurePortAsync(userId, cancellationToken);
        var (token, record) = await tokens.IssueAsync(userId, TimeSpan.FromMinutes(1), cancellationToken);
        try
        {
            using var handler = new SocketsHttpHandler
            {
                Proxy = new WebProxy(new Uri($"http://{LocalAddress(settings.BindAddress)}:{port.Port}")) { Credentials = new NetworkCredential("polydev", token) },
                UseProxy = true,
                ConnectTimeout = settings.ConnectTimeout,
            };
            using var http = new HttpClient(handler) { Timeout = settings.ConnectTimeout * 3 };
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(settings.WhatIsMyIpUrl, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            body = body.Length > MaxBodyChars ? body[..MaxBodyChars] : body;
            return new EgressCheckResponse(
                response.IsSuccessStatusCode ? ReadAddress(body) : null,
                (int)response.StatusCode,
                body,
                Math.Round(elapsed, 1),
                settings.Upstream.IsConfigured ? EgressModes.Upstream : EgressModes.Direct,
                port.Port);
        }
        finally
        {
            await tokens.RevokeAsync(userId, Guid.Parse(record.Id), CancellationToken.None);
            authenticator.Forget(record.TokenHash);
        }
    }

    /// <summary>A wildcard bind is reached through loopback.</summary>
    public static string LocalAddress(string bindAddress) => bindAddress switch
    {
        "0.0.0.0" or "" => "127.0.0.1",
        "::" or "[::]" => "[::1]",
        _ when IPAddress.TryParse(bindAddress, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => $"[{ip}]",
        _ => bindAddress,
    };

    /// <summary>Plain-text answers, <c>{"ip": …}</c>, and Decodo's <c>{"proxy": {"ip": …}}</c>.</summary>
    internal static string? ReadAddress(string body)
    {
        var text = body.Trim();
        if (IPAddress.TryParse(text, out var plain))
        {
            return plain.ToString();
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            foreach (var candidate in new[] { json.RootElement, json.RootElement.TryGetProperty("proxy", out var proxy) ? proxy : default })
            {
                if (candidate.ValueKind == JsonValueKind.Object
                    && candidate.TryGetProperty("ip", out var ip)
                    && ip.ValueKind == JsonValueKind.String
                    && IPAddress.TryParse(ip.GetString(), out var address))
                {
                    return address.ToString();
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}

public static class EgressModes
{
    public const string Upstream = "upstream";
    public const string Direct = "direct";
}
