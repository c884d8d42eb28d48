using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Polydev.Server.Accounts;

/// <summary>
/// Opaque bearer tokens. The prefix says what a token is (<c>pd_s_</c> login session,
/// <c>pd_t_</c> API token, <c>pd_p_</c> egress proxy token) so leaked ones are easy to recognise
/// and redact; the server stores only SHA-256 of a token, which is enough because the token
/// itself is 256 random bits.
/// </summary>
public static class BearerTokens
{
    public const string SessionPrefix = "pd_s_";
    public const string ApiPrefix = "pd_t_";
    public const string EgressPrefix = "pd_p_";

    public static (string Token, byte[] Hash) Issue(string prefix)
    {
        var token = prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token));
    }

    /// <summary>True when <paramref name="token"/> has the shape of a token with one of <paramref name="prefixes"/>.</summary>
    public static bool LooksValid(string token, params ReadOnlySpan<string> prefixes)
    {
        if (token.Length is <= 40 or >= 100)
        {
            return false;
        }

        foreach (var prefix in prefixes)
        {
            if (token.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));
}
