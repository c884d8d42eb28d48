namespace Polydev.Client.LoginSessions;

/// <summary>
/// The web viewer's page for a login session started here. It holds the session id and nothing else: the viewer makes
/// the session key in the browser and attaches with the user's web sign-in, so a URL that lands in a shell history, a
/// process list or a browser's history opens nothing by itself.
/// </summary>
internal static class ViewerAddress
{
    /// <param name="server">A normalized server URL (<see cref="Api.ServerAddress"/>): no trailing slash, query or fragment.</param>
    public static Uri For(string server, Guid sessionId) => new($"{server}/login-sessions/{sessionId:D}", UriKind.Absolute);

    /// <summary>
    /// The viewer of a session that connects <paramref name="provider"/>'s account for this terminal: the fragment (which
    /// a browser never sends to the server) carries the user's public key, to which the viewer's opening has the
    /// credential sealed, and the proof key with which this terminal checks that the capture came from that sandbox.
    /// Neither opens anything: the public key is public, and the proof key only vouches for a credential sealed to this user.
    /// </summary>
    public static Uri ForConnect(string server, Guid sessionId, string provider, byte[] publicKey, byte[] proofKey) =>
        new($"{server}/login-sessions/{sessionId:D}?connect={Uri.EscapeDataString(provider)}#pk={Base64Url(publicKey)}&ck={Base64Url(proofKey)}", UriKind.Absolute);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
