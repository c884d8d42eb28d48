using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>The token in a <c>Proxy-Authorization</c> value.</summary>
internal static class ProxyCredentials
{
    /// <summary>
    /// <c>Basic base64(user:TOKEN)</c> (the user name is ignored; a token given as the user name
    /// with an empty password is accepted too) or <c>Bearer TOKEN</c>; null otherwise.
    /// </summary>
    public static string? Token(string value)
    {
        value = value.Trim();
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return null;
        }

        var scheme = value[..space];
        var parameter = value[(space + 1)..].Trim();
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return parameter.Length > 0 ? parameter : null;
        }

        if (!scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        var token = colon < 0 ? decoded : decoded[(colon + 1)..];
        if (token.Length == 0 && colon > 0)
        {
            token = decoded[..colon];
        }

        return token.Length > 0 ? token : null;
    }
}
