using Polydev.Contracts.Login;

namespace Polydev.Client.LoginSessions;

/// <summary>
/// Why a login session ended, in words a person acts on (the reasons are <see cref="LoginSessionEndReasons"/>; the web
/// viewer says the same in web/src/app/login/words.ts). Only an end the user asked for is a success.
/// </summary>
internal static class LoginSessionEnding
{
    public static bool ByUser(string? reason) => reason == LoginSessionEndReasons.EndedByUser;

    /// <summary>What follows "login session … ended: ".</summary>
    public static string Sentence(string? reason) => reason switch
    {
        LoginSessionEndReasons.EndedByUser => "you ended it.",
        LoginSessionEndReasons.TimeLimit => "it reached its time limit; start a new one to go on.",
        LoginSessionEndReasons.Idle => "nothing was typed or clicked in it for too long (idle); start a new one to go on.",
        LoginSessionEndReasons.SandboxLost => "its sandbox was lost; start a new one.",
        LoginSessionEndReasons.ChannelRefused => "a message between your viewer and the sandbox was changed in transit; the session was refused.",
        LoginSessionEndReasons.OpeningRefused => "the sandbox could not open what your viewer sealed to it (sealed to another key, or changed in transit); the session was refused.",
        LoginSessionEndReasons.StreamFailed => "the remote browser or its screen stream stopped working; start a new one.",
        LoginSessionEndReasons.NotOpened => "no viewer opened it in time; start a new one and open its link right away.",
        LoginSessionEndReasons.ServerStopped => "the Polydev server stopped; start a new one.",
        LoginSessionEndReasons.Connected => "the account was connected.",
        LoginSessionEndReasons.LoginFailed => "the CLI's sign-in ended without a credential (refused or cancelled on the sign-in page); nothing was stored.",
        LoginSessionEndReasons.CredentialRefused => "the CLI wrote a credential of a shape Polydev cannot use; nothing was stored.",
        null or "" => "the server gave no reason.",
        // A newer server's reason: shown as it is (the output escapes anything that could steer the terminal).
        _ => $"{reason.Replace('_', ' ')}.",
    };

    /// <summary>The reason as a table cell: the server's word, readable.</summary>
    public static string Short(string? reason) => reason is { Length: > 0 } ? reason.Replace('_', ' ') : "-";
}
