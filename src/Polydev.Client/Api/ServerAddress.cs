namespace Polydev.Client.Api;

/// <summary>The server's base URL: <c>--server</c>, else <c>POLYDEV_SERVER</c>, else the saved one, else the default.</summary>
internal static class ServerAddress
{
    public const string Variable = "POLYDEV_SERVER";
    public const string Default = "http://127.0.0.1:8080";

    /// <summary>The URL the user asked for on this run (option or environment), normalized; null if none.</summary>
    public static string? Explicit(string? option)
    {
        var text = option is { Length: > 0 } ? option : Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(text) ? null : Normalize(text);
    }

    /// <summary>An absolute http(s) URL without a trailing slash, so routes can be appended to it.</summary>
    public static string Normalize(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new UsageException("the server must be an http:// or https:// URL, such as http://127.0.0.1:8080.");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new UsageException("the server URL must not carry a query, a fragment or credentials.");
        }

        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }
}
