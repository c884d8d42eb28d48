using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Accounts;

/// <summary>
/// Opaque bearer tokens. The prefix says what a token is (<c>pd_s_</c> session, <c>pd_t_</c>
/// API token) so leaked ones are easy to recognise and redact; the server stores only SHA-256
/// of the token, which is enough because the token itself is 256 random bits.
/// </summary>
public static class BearerTokens
{
    private const string SessionPrefix = "pd_s_";
    private const string ApiPrefix = "pd_t_";

    public static (string Token, byte[] Hash) Issue(string kind)
    {
        var prefix = kind == TokenKinds.Api ? ApiPrefix : SessionPrefix;
        var token = prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token));
    }

    public static bool LooksValid(string token) =>
        token.Length is > 40 and < 100 && (token.StartsWith(SessionPrefix, StringComparison.Ordinal) || token.StartsWith(ApiPrefix, StringComparison.Ordinal));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));
}
