using System.Globalization;
using System.Text.RegularExpressions;

namespace Polydev.Agent;

/// <summary>
/// What a CLI's error text says about the provider's answer, in the words the three pinned CLIs use (checked against
/// them, tests/Polydev.Agent.Tests/RealCli): an HTTP status, a tunnel the proxy refused, or no connection at all.
/// </summary>
internal static partial class ProviderStatus
{
    // "API Error: 401 …", "Request rejected (429)", "unexpected status 401 Unauthorized", "last status: 429 Too Many
    // Requests", "with status 429", {"code":401,…}, "401 Unauthorized": a status only where the text says it is one.
    [GeneratedRegex(@"(?:API Error:\s*|status(?: code)?[:=]?\s*|""code""\s*:\s*|rejected\s*\()(?<status>[1-5]\d\d)\b|\b(?<status>[1-5]\d\d) (?:Unauthorized|Forbidden|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b", RegexOptions.IgnoreCase)]
    private static partial Regex StatusPattern();

    [GeneratedRegex(@"ERR_PROXY|refused the tunnel|tunneling socket|Proxy Authentication|proxy error", RegexOptions.IgnoreCase)]
    private static partial Regex TunnelPattern();

    [GeneratedRegex(@"error sending request|fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|Connection refused|Connection failed|Couldn't connect|Unable to connect|socket hang up|network is unreachable", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionPattern();

    [GeneratedRegex(@"Failed to authenticate|invalid x-api-key|invalid api key|authentication_error|API key not valid|UNAUTHENTICATED|PERMISSION_DENIED", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialPattern();

    /// <summary>The provider's HTTP status the text names, if it names one.</summary>
    public static int? In(string text) =>
        StatusPattern().Match(text) is { Success: true } match ? int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>The text says the proxy would not open a tunnel (its status unsaid: the agent asks the proxy itself).</summary>
    public static bool IsTunnelFailure(string text) => TunnelPattern().IsMatch(text);

    /// <summary>The text says no connection could be made or kept.</summary>
    public static bool IsConnectionFailure(string text) => ConnectionPattern().IsMatch(text);

    /// <summary>The text says the credential was refused, with or without a status.</summary>
    public static bool IsCredentialRejection(string text) => CredentialPattern().IsMatch(text);
}
