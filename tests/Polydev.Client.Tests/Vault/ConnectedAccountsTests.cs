using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Login;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.Client.Tests.Vault;

/// <summary>
/// OAuth credentials on the client: a login's capture is checked and opened; a run's refreshed file replaces the stored
/// one under its revision, and when two runs race, the newer expiry wins.
/// </summary>
public sealed class ConnectedAccountsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_capture_opens_only_with_the_proof_key_of_the_client_that_opened_the_session_and_for_its_provider()
    {
        using var server = new FakeCredentialServer();
        var accounts = new ConnectedAccounts(server.Api(), server.Keys);
        var proofKey = RandomNumberGenerator.GetBytes(32);
        var capture = Convert.ToBase64String(CredentialCapture.Seal(accounts.PublicKey, proofKey, Captured("anthropic", "file-1", Now.AddHours(1))));

        Assert.Equal("file-1", accounts.OpenCapture(capture, proofKey, "anthropic").File);
        Assert.Contains("did not come from the login sandbox", Assert.Throws<CliException>(() => accounts.OpenCapture(capture, RandomNumberGenerator.GetBytes(32), "anthropic")).Message);
        Assert.Contains("not openai's", Assert.Throws<CliException>(() => accounts.OpenCapture(capture, proofKey, "openai")).Message);

        // A box sealed to this user by anyone without the proof key (the server, say) carries no valid tag.
        var forged = Convert.ToBase64String([.. new byte[32], .. SealedBox.Seal(accounts.PublicKey, Captured("anthropic", "attacker", null), CredentialCapture.Purpose)]);
        Assert.Throws<CliException>(() => accounts.OpenCapture(forged, proofKey, "anthropic"));
    }

    [Fact]
    public async Task A_refreshed_file_replaces_the_stored_one_and_keeps_its_label()
    {
        using var server = new FakeCredentialServer();
        var accounts = new ConnectedAccounts(server.Api(), server.Keys);
        server.Store(new CredentialSecret("work", CredentialSecret.OAuth, "file-1") { Account = "a@example.com", ExpiresAt = Now.AddMinutes(1), Refreshable = true });

        var refreshed = accounts.OpenRefresh(Refresh(accounts, "file-2", Now.AddHours(1)), "anthropic");
        Assert.True(await accounts.ReplaceAsync(server.Id, refreshed, CancellationToken.None));

        var stored = server.Read();
        Assert.Equal("file-2", stored.Secret);
        Assert.Equal("work", stored.Label);
        Assert.Equal(Now.AddHours(1), stored.ExpiresAt);
        Assert.Equal(2, server.Revision);
    }

    [Fact]
    public async Task When_another_run_stored_a_newer_refresh_first_the_older_one_is_dropped()
    {
        using var server = new FakeCredentialServer();
        var accounts = new ConnectedAccounts(server.Api(), server.Keys);
        server.Store(new CredentialSecret("work", CredentialSecret.OAuth, "file-1") { ExpiresAt = Now.AddMinutes(1), Refreshable = true });
        // Between this run's read and its write, another run stores a file that expires later.
        server.BeforeFirstPut = () => server.Store(new CredentialSecret("work", CredentialSecret.OAuth, "file-other") { ExpiresAt = Now.AddHours(2), Refreshable = true });

        var refreshed = accounts.OpenRefresh(Refresh(accounts, "file-2", Now.AddHours(1)), "anthropic");
        Assert.False(await accounts.ReplaceAsync(server.Id, refreshed, CancellationToken.None));
        Assert.Equal("file-other", server.Read().Secret);
        Assert.Equal(1, server.Conflicts);
    }

    [Fact]
    public async Task When_another_run_stored_an_older_refresh_first_this_newer_one_wins_on_the_retry()
    {
        using var server = new FakeCredentialServer();
        var accounts = new ConnectedAccounts(server.Api(), server.Keys);
        server.Store(new CredentialSecret("work", CredentialSecret.OAuth, "file-1") { ExpiresAt = Now.AddMinutes(1), Refreshable = true });
        server.BeforeFirstPut = () => server.Store(new CredentialSecret("work", CredentialSecret.OAuth, "file-other") { ExpiresAt = Now.AddMinutes(30), Refreshable = true });

        var refreshed = accounts.OpenRefresh(Refresh(accounts, "file-2", Now.AddHours(1)), "anthropic");
        Assert.True(await accounts.ReplaceAsync(server.Id, refreshed, CancellationToken.None));
        Assert.Equal("file-2", server.Read().Secret);
        Assert.Equal(1, server.Conflicts);
    }

    [Fact]
    public void A_refresh_sealed_for_another_purpose_or_user_does_not_open()
    {
        using var server = new FakeCredentialServer();
        var accounts = new ConnectedAccounts(server.Api(), server.Keys);
        var wrongPurpose = Convert.ToBase64String(SealedBox.Seal(accounts.PublicKey, Captured("anthropic", "f", null), CredentialCapture.Purpose));
        Assert.Throws<CliException>(() => accounts.OpenRefresh(wrongPurpose, "anthropic"));
        using var other = UserKeyPair.Generate();
        var otherUser = Convert.ToBase64String(SealedBox.Seal(other.PublicKey, Captured("anthropic", "f", null), CredentialEvent.SealedPurpose));
        Assert.Throws<CliException>(() => accounts.OpenRefresh(otherUser, "anthropic"));
    }

    [Theory]
    [InlineData(true, 120, null)]                                  // refreshable, 2 h left: nothing to say
    [InlineData(true, -60, null)]                                  // refreshable, expired an hour ago: renews on the next run
    [InlineData(true, -60 * 24 * 31, "may have retired")]          // refreshable, unused a month: warn
    [InlineData(false, 60 * 24 * 2, "cannot renew itself")]        // not refreshable, 2 days left: warn ahead
    [InlineData(false, 60 * 24 * 10, null)]                        // not refreshable, 10 days left: nothing yet
    [InlineData(false, -1, "expired")]                             // not refreshable, expired
    public void The_status_warns_before_a_connected_account_lapses(bool refreshable, int minutesLeft, string? warning)
    {
        var secret = new CredentialSecret("a", CredentialSecret.OAuth, "f") { ExpiresAt = Now.AddMinutes(minutesLeft), Refreshable = refreshable };
        var status = CredentialStatus.Of(secret, Now);
        if (warning is null)
        {
            Assert.Null(status.Warning);
        }
        else
        {
            Assert.Contains(warning, status.Warning);
            Assert.Contains("polydev credentials login", status.Warning);
        }

        Assert.Null(CredentialStatus.Of(new CredentialSecret("k", CredentialSecret.ApiKey, "sk"), Now).Warning);
    }

    private static byte[] Captured(string provider, string file, DateTimeOffset? expires) =>
        JsonSerializer.SerializeToUtf8Bytes(new LoginCapturedCredential { Provider = provider, File = file, ExpiresAt = expires, Refreshable = true }, LoginJsonContext.Default.LoginCapturedCredential);

    private static string Refresh(ConnectedAccounts accounts, string file, DateTimeOffset expires) =>
        Convert.ToBase64String(SealedBox.Seal(accounts.PublicKey, Captured("anthropic", file, expires), CredentialEvent.SealedPurpose));

    /// <summary>One credential record on a server, in memory: GET, and PUT under its revision (409 on a stale one).</summary>
    private sealed class FakeCredentialServer : HttpMessageHandler
    {
        private readonly UserKeyPair _user = UserKeyPair.Generate();
        private EncryptedValue? _secret;

        public FakeCredentialServer()
        {
            Keys = new VaultKeys(Guid.NewGuid(), RandomNumberGenerator.GetBytes(32), _user.ExportPkcs8());
            Cipher = new VaultCipher(Keys);
        }

        public VaultKeys Keys { get; }

        public VaultCipher Cipher { get; }

        public Guid Id { get; } = Guid.CreateVersion7();

        public long Revision { get; private set; }

        public int Conflicts { get; private set; }

        public Action? BeforeFirstPut { get; set; }

        public PolydevApi Api() => new("http://polydev.test", "token", this);

        public void Store(CredentialSecret secret)
        {
            _secret = secret.Seal(Cipher, Id, Providers.Anthropic);
            Revision++;
        }

        public CredentialSecret Read() => CredentialSecret.Open(Cipher, Id, Providers.Anthropic, _secret!).Secret;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath != ApiRoutes.Credential(Id))
            {
                return new HttpResponseMessage(HttpStatusCode.NotFound);
            }

            if (request.Method == HttpMethod.Get)
            {
                return Json(HttpStatusCode.OK, Response());
            }

            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            // Sent with its length, not chunked: the server can refuse a body over its limit before reading it.
            Assert.Equal(body.Length, request.Content.Headers.ContentLength);
            Assert.Equal("application/json; charset=utf-8", request.Content.Headers.ContentType?.ToString());
            var update = JsonSerializer.Deserialize<UpdateCredentialRequest>(body, PolydevJson.Options)!;
            if (BeforeFirstPut is { } race)
            {
                BeforeFirstPut = null;
                race();
            }

            if (update.Revision != Revision)
            {
                Conflicts++;
                return Json(HttpStatusCode.Conflict, new { title = "Conflict", status = 409, detail = "The credential changed since you read it." });
            }

            _secret = update.Secret;
            Revision++;
            return Json(HttpStatusCode.OK, Response());
        }

        private CredentialResponse Response() => new(Id, Providers.Anthropic, _secret!, Revision, Now, Now);

        private static HttpResponseMessage Json<T>(HttpStatusCode status, T value) => new(status) { Content = JsonContent.Create(value, options: PolydevJson.Options) };

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _user.Dispose();
                Keys.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
