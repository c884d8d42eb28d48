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
}
