using System.Net;
using System.Security.Cryptography;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.Server.Tests.Infrastructure;

/// <summary>
/// An account made the way a client makes one, minus the 600,000-iteration PBKDF2: authKey and
/// kek are random here, which the server cannot tell apart (it never sees how they were made).
/// </summary>
public sealed class TestAccount
{
    private TestAccount(Guid userId, string email, byte[] authKey, byte[] kek, byte[] userKey, byte[] recoveryAuthKey, byte[] recoveryKey)
    {
        UserId = userId;
        Email = email;
        AuthKey = authKey;
        Kek = kek;
        UserKey = userKey;
        RecoveryAuthKey = recoveryAuthKey;
        RecoveryKey = recoveryKey;
    }

    public Guid UserId { get; }

    public string Email { get; }

    public byte[] AuthKey { get; private set; }

    public byte[] Kek { get; private set; }

    public byte[] UserKey { get; private set; }

    public byte[] RecoveryAuthKey { get; private set; }

    public byte[] RecoveryKey { get; private set; }

    public string Token { get; private set; } = "";

    public Guid SessionId { get; private set; }

    public static TestAccount Create(string? email = null)
    {
        var userId = Guid.CreateVersion7();
        return new TestAccount(
            userId,
            email ?? $"user-{userId:N}@example.test",
            RandomNumberGenerator.GetBytes(32),
            RandomNumberGenerator.GetBytes(32),
            Crypto.UserKey.Generate(),
            RandomNumberGenerator.GetBytes(32),
            RandomNumberGenerator.GetBytes(32));
    }

    public SignupRequest SignupRequest()
    {
        using var keyPair = UserKeyPair.Generate();
        return new SignupRequest(
            UserId,
            Email,
            Kdf(),
            AuthKey,
            Wrap(EnvelopeKinds.UserKey, UserId, Kek, UserKey),
            keyPair.PublicKey,
            Wrap(EnvelopeKinds.UserPrivateKey, UserId, UserKey, keyPair.ExportPkcs8()),
            new RecoveryDto(RecoveryAuthKey, Wrap(EnvelopeKinds.UserRecoveryKey, UserId, RecoveryKey, UserKey)));
    }

    /// <summary>Signs up and logs in; <see cref="Token"/> is then a session token.</summary>
    public static async Task<TestAccount> SignUpAsync(RunningServer server, string? email = null)
    {
        var account = Create(email);
        var signup = await server.Client.PostJsonAsync(ApiRoutes.Accounts, account.SignupRequest());
        Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
        await account.LogInAsync(server);
        return account;
    }

    public async Task<LoginResponse> LogInAsync(RunningServer server, string? deviceName = null)
    {
        var response = await server.Client.PostJsonAsync(ApiRoutes.Login, new LoginRequest(Email, AuthKey, deviceName));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var login = (await response.ReadAsync<LoginResponse>())!;
        Token = login.Token;
        SessionId = login.SessionId;
        return login;
    }

    /// <summary>Makes a new password's material and remembers it as current.</summary>
    public ChangePasswordRequest NewPassword()
    {
        var current = AuthKey;
        AuthKey = RandomNumberGenerator.GetBytes(32);
        Kek = RandomNumberGenerator.GetBytes(32);
        return new ChangePasswordRequest(current, Kdf(), AuthKey, Wrap(EnvelopeKinds.UserKey, UserId, Kek, UserKey));
    }

    /// <summary>A password change request that does not (yet) replace the current proof.</summary>
    public ChangePasswordRequest NewPasswordPreview() =>
        new(AuthKey, Kdf(), RandomNumberGenerator.GetBytes(32), Wrap(EnvelopeKinds.UserKey, UserId, RandomNumberGenerator.GetBytes(32), UserKey));

    /// <summary>
    /// A key rotation as a client makes one: reads the whole vault with this account's token, re-seals every record
    /// under a new user key, and makes a new key pair and recovery code. The account takes the new keys as current
    /// (call <see cref="ForgetRotation"/> if the server refused them).
    /// </summary>
    public async Task<RotateKeysRequest> RotationAsync(RunningServer server, bool withNewPassword = false)
    {
        using var client = Client(server);
        var chats = (await (await client.GetAsync(ApiRoutes.Chats + "?limit=200")).ReadAsync<Page<ChatResponse>>())!.Items;
        var credentials = (await (await client.GetAsync(ApiRoutes.Credentials + "?limit=200")).ReadAsync<Page<CredentialResponse>>())!.Items;
        var messages = new List<MessageResponse>();
        foreach (var chat in chats)
        {
            messages.AddRange((await (await client.GetAsync(ApiRoutes.Messages(chat.Id) + "?limit=200")).ReadAsync<Page<MessageResponse>>())!.Items);
        }

        _beforeRotation = (AuthKey, Kek, UserKey, RecoveryAuthKey, RecoveryKey);
        var currentAuthKey = AuthKey;
        var oldUserKey = UserKey;
        UserKey = Crypto.UserKey.Generate();
        RecoveryAuthKey = RandomNumberGenerator.GetBytes(32);
        RecoveryKey = RandomNumberGenerator.GetBytes(32);
        NewPasswordDto? newPassword = null;
        if (withNewPassword)
        {
            AuthKey = RandomNumberGenerator.GetBytes(32);
            Kek = RandomNumberGenerator.GetBytes(32);
            newPassword = new NewPasswordDto(Kdf(), AuthKey);
        }

        ResealedRecord Reseal(string kind, Guid id, long revision, EncryptedValue value) =>
            new(id, revision, Wrap(kind, id, UserKey, Envelope.Open(oldUserKey, value.Envelope, new EnvelopeContext(kind, UserId, id))));

        using var keyPair = UserKeyPair.Generate();
        return new RotateKeysRequest(
            currentAuthKey,
            Wrap(EnvelopeKinds.UserKey, UserId, Kek, UserKey),
            keyPair.PublicKey,
            Wrap(EnvelopeKinds.UserPrivateKey, UserId, UserKey, keyPair.ExportPkcs8()),
            new RecoveryDto(RecoveryAuthKey, Wrap(EnvelopeKinds.UserRecoveryKey, UserId, RecoveryKey, UserKey)),
            chats.Select(c => Reseal(EnvelopeKinds.ChatTitle, c.Id, c.Revision, c.Title)).ToList(),
            messages.Select(m => Reseal(EnvelopeKinds.ChatMessage, m.Id, m.Revision, m.Body)).ToList(),
            credentials.Select(c => Reseal(EnvelopeKinds.CredentialSecret, c.Id, c.Revision, c.Secret)).ToList(),
            newPassword);
    }

    private (byte[] AuthKey, byte[] Kek, byte[] UserKey, byte[] RecoveryAuthKey, byte[] RecoveryKey)? _beforeRotation;

    /// <summary>Takes back the keys of the last <see cref="RotationAsync"/>: the server refused it.</summary>
    public void ForgetRotation()
    {
        (AuthKey, Kek, UserKey, RecoveryAuthKey, RecoveryKey) = _beforeRotation ?? throw new InvalidOperationException("No rotation to forget.");
        _beforeRotation = null;
    }

    public void UseSession(string token, Guid sessionId)
    {
        Token = token;
        SessionId = sessionId;
    }

    public HttpClient Client(RunningServer server) => server.CreateClient(Token);

    public EncryptedValue Seal(string kind, Guid recordId, string plaintext) =>
        Wrap(kind, recordId, UserKey, System.Text.Encoding.UTF8.GetBytes(plaintext));

    public string Open(EncryptedValue value) =>
        System.Text.Encoding.UTF8.GetString(Envelope.Open(UserKey, value.Envelope, new EnvelopeContext(value.Kind, UserId, value.RecordId)));

    public CreateChatRequest NewChat(string title)
    {
        var id = Guid.CreateVersion7();
        return new CreateChatRequest(id, Seal(EnvelopeKinds.ChatTitle, id, title));
    }

    public CreateMessageRequest NewMessage(string text)
    {
        var id = NextMessageId();
        return new CreateMessageRequest(id, Seal(EnvelopeKinds.ChatMessage, id, text));
    }

    private long _lastMessageMs;

    /// <summary>
    /// A version 7 id a millisecond past the previous one: the server orders a chat's messages by (created_at, id), and
    /// two ids made in the same millisecond are in random order (Guid.CreateVersion7 is not monotonic within one).
    /// </summary>
    private Guid NextMessageId()
    {
        var ms = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Interlocked.Read(ref _lastMessageMs) + 1);
        Interlocked.Exchange(ref _lastMessageMs, ms);
        return Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }

    public CreateCredentialRequest NewCredential(string provider, string secret)
    {
        var id = Guid.CreateVersion7();
        return new CreateCredentialRequest(id, provider, Seal(EnvelopeKinds.CredentialSecret, id, secret));
    }

    private static KdfDto Kdf()
    {
        var kdf = KdfParameters.CreateDefault();
        return new KdfDto(kdf.Algorithm, kdf.Iterations, kdf.Salt);
    }

    private EncryptedValue Wrap(string kind, Guid recordId, byte[] key, byte[] plaintext) =>
        new(kind, recordId, Envelope.Seal(key, plaintext, new EnvelopeContext(kind, UserId, recordId)));
}
