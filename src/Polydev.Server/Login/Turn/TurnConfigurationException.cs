namespace Polydev.Server.Login.Turn;

/// <summary>
/// <c>Login:Turn</c> settings or files that cannot work, in one sentence naming the setting or file. Never carries the
/// secret itself.
/// </summary>
public sealed class TurnConfigurationException(string message) : InvalidOperationException(message);
