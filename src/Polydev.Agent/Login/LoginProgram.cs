using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Agent.Login.Desktop;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Login;

/// <summary><c>polydev-agent login</c> after the hello: opens the viewer's sealed opening and runs the session.</summary>
internal static class LoginProgram
{
    public static async Task<AgentExitReason> RunAsync(UserKeyPair key, byte[] sealedOpening, AgentChannel channel, LoginLimits limits, TextWriter stderr)
    {
        byte[] plaintext;
        try
        {
            plaintext = SealedBox.Open(key, sealedOpening, LoginOpening.SealedPurpose);
        }
        catch (CryptographicException)
        {
            await stderr.WriteLineAsync("polydev-agent: the login opening could not be opened (sealed to another key or purpose, or modified).");
            return AgentExitReason.JobRefused;
        }

        LoginOpening? opening;
        try
        {
            opening = JsonSerializer.Deserialize(plaintext, LoginJsonContext.Default.LoginOpening);
        }
        catch (JsonException)
        {
            opening = null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        if (Check(opening) is { } problem)
        {
            await stderr.WriteLineAsync($"polydev-agent: the login opening was refused: {problem}");
            return AgentExitReason.JobRefused;
        }

        try
        {
            return await new LoginSession(opening!, channel, limits, DesktopSettings.ForHome(AgentProgram.Home), stderr).RunAsync();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(opening!.SessionKey);
        }
    }

    /// <summary>What is wrong with the opening, in words that never quote it; null when it can run.</summary>
    internal static string? Check(LoginOpening? opening)
    {
        if (opening is null)
        {
            return "its plaintext is not a login opening (JSON object with the documented fields).";
        }

        if (opening.Version != LoginOpening.CurrentVersion)
        {
            return $"opening version {opening.Version} is not supported (expected {LoginOpening.CurrentVersion}).";
        }

        if (opening.SessionKey is not { Length: LoginOpening.SessionKeyLength })
        {
            return $"sessionKey must be {LoginOpening.SessionKeyLength} bytes (base64).";
        }

        if (opening.Width is < 1 or > 10_000 || opening.Height is < 1 or > 10_000)
        {
            return "width and height must be between 1 and 10000.";
        }

        if (opening.StartUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("https" or "http" or "data" or "about")))
        {
            return "startUrl must be an absolute https, http, data or about URL.";
        }

        return null;
    }
}
