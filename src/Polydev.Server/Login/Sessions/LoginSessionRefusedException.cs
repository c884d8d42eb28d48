namespace Polydev.Server.Login.Sessions;

/// <summary>A login session cannot be started or used; <see cref="Status"/> is the HTTP status its problem carries.</summary>
public sealed class LoginSessionRefusedException(int status, string message, Exception? inner = null) : Exception(message, inner)
{
    public int Status { get; } = status;
}
