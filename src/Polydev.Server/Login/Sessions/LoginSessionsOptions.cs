namespace Polydev.Server.Login.Sessions;

/// <summary>Login sessions (<c>Login:Sessions</c>): how many a user may have and how long they last.</summary>
public sealed class LoginSessionsOptions
{
    public const string Section = "Login:Sessions";

    /// <summary>Live sessions one user may have at once.</summary>
    public int MaxPerUser { get; set; } = 1;

    /// <summary>A session ends this long after it starts, whatever happens.</summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A session ends when the viewer sends no input for this long (the agent measures it: input travels past the server).</summary>
    public TimeSpan IdleLimit { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A reserved sandbox waits this long for the viewer's opening.</summary>
    public TimeSpan OpenWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Debian's noVNC (package <c>novnc</c>), served at <c>/novnc/</c>: the viewer's fallback loads its RFB client from
    /// there and gives it a channel that decrypts, so the fallback is as blind to the server as WebRTC.
    /// </summary>
    public string NoVncDirectory { get; set; } = "/usr/share/novnc";

    internal void Validate()
    {
        if (MaxPerUser < 1)
        {
            throw new InvalidOperationException($"{Section}:MaxPerUser must be at least 1.");
        }

        if (TimeLimit < TimeSpan.FromSeconds(10) || IdleLimit < TimeSpan.FromSeconds(5) || OpenWindow < TimeSpan.FromSeconds(5))
        {
            throw new InvalidOperationException($"{Section}: TimeLimit must be at least 10 s, IdleLimit 5 s and OpenWindow 5 s.");
        }
    }
}
