using System.Net.Http.Json;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>
/// A user whose vault is made through the real CLI (a credential and a chat with a message, sealed on the user's
/// machine) and later opened, on another server, by the CLI on a machine that has nothing but the password.
/// </summary>
public sealed class VaultUser
{
    public const string ChatTitle = "Backup plan";
    public const string CredentialLabel = "work key";

    private VaultUser(string email, string password, string message)
    {
        Email = email;
        Password = password;
        Message = message;
    }

    public string Email { get; }

    public string Password { get; }

    /// <summary>The text of the chat's one message; unique, so nothing but a decryption can produce it.</summary>
    public string Message { get; }

    public static VaultUser New(string name) =>
        new($"{name}-{Guid.NewGuid():N}@example.com", $"{name} password {Guid.NewGuid():N}", Needles.Canary($"{name}-message"));

    /// <summary>Signs up on <paramref name="server"/> and fills the vault; returns the signed-in CLI.</summary>
    public async Task<Cli> FillAsync(ServerProcess server)
    {
        var cli = new Cli(server.Url);
        await cli.SignupAsync(Email, Password);
        (await cli.RunAsync(["credentials", "add", "anthropic", "--label", CredentialLabel], "sk-ant-api03-restored-key\n")).Succeeded();
        (await cli.RunAsync("chats", "new", ChatTitle)).Succeeded();
        (await cli.RunAsync("chats", "append", ChatTitle, Message)).Succeeded();
        return cli;
    }

    /// <summary>A CLI on a new machine, logged in and unlocked with the password alone.</summary>
    public async Task<Cli> UnlockAsync(ServerProcess server)
    {
        var cli = new Cli(server.Url);
        cli.Session = (await cli.RunWithPasswordAsync(Password, "login", "--email", Email)).Succeeded().ExportedSession();
        return cli;
    }

    /// <summary>On <paramref name="server"/>, the password opens the vault: the message and the credential decrypt on the client.</summary>
    public async Task AssertVaultOpensAsync(ServerProcess server)
    {
        using var cli = await UnlockAsync(server);
        var chat = (await cli.RunAsync("chats", "show", ChatTitle, "--json")).Succeeded().Json();
        Assert.Equal(ChatTitle, chat.GetProperty("title").GetString());
        Assert.Equal(Message, Assert.Single(chat.GetProperty("messages").EnumerateArray()).GetProperty("text").GetString());
        var credential = Assert.Single((await cli.RunAsync("credentials", "list", "--json")).Succeeded().Json().EnumerateArray());
        Assert.Equal(("anthropic", CredentialLabel), (credential.GetProperty("provider").GetString(), credential.GetProperty("label").GetString()));
    }

    public async Task AssertCannotLogInAsync(ServerProcess server)
    {
        using var cli = new Cli(server.Url);
        var login = await cli.RunWithPasswordAsync(Password, "login", "--email", Email);
        Assert.Equal(1, login.ExitCode);
        Assert.EndsWith("polydev login: The e-mail or password is wrong.", login.Stderr.Trim(), StringComparison.Ordinal);
    }

    /// <summary>The user id and user key, as a client derives them: pre-login's KDF parameters, the password, the wrapped key from the account.</summary>
    public async Task<(Guid UserId, byte[] UserKey)> UserKeyAsync(ServerProcess server, string token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var prelogin = await (await http.PostAsJsonAsync(ApiRoutes.Prelogin, new PreloginRequest(Email), PolydevJson.Options)).Content.ReadFromJsonAsync<PreloginResponse>(PolydevJson.Options);
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var account = (await http.GetFromJsonAsync<AccountKeysResponse>(ApiRoutes.Account, PolydevJson.Options))!;
        var masterKey = MasterKey.Derive(Password, new KdfParameters(prelogin!.Kdf.Algorithm, prelogin.Kdf.Iterations, prelogin.Kdf.Salt));
        var userKey = Envelope.Open(MasterKey.DeriveKek(masterKey), account.UserKey.Envelope, new EnvelopeContext(EnvelopeKinds.UserKey, account.UserId, account.UserId));
        return (account.UserId, userKey);
    }
}
