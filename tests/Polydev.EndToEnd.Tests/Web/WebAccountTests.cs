using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>
/// The account side of the web client in Debian's chromium against a real <c>polydev server</c> (no sandboxes
/// needed): the idle lock, sign-in by keyboard alone, settings, and a phone-sized screen.
/// </summary>
public sealed class WebAccountTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static Task<ServerProcess> StartServerAsync() =>
        ServerProcess.StartAsync(null, new Dictionary<string, string?> { ["POLYDEV_WEB__ROOT"] = BuiltWebClient.Directory });

    [Fact]
    public async Task The_idle_lock_removes_decrypted_content_from_the_page_and_unlocking_needs_no_new_sign_in()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        var web = new WebClient(session.Page);
        var password = Needles.Canary("password");
        var label = Needles.Canary("label");
        await web.SignUpAsync($"idle-{Guid.NewGuid():N}@example.com", password);
        await web.GoToAsync("Providers", "providers");
        await web.AddApiKeyAsync("anthropic", label, Needles.Canary("key"));

        // A 9-second timeout (the settings page takes whole minutes; tests may store a fraction): long enough for the
        // unlocked page to render on a loaded machine before it locks, short for a test. The timer reads it
        // when the keys are unlocked, so reload and unlock with it in place.
        await session.Page.EvaluateAsync("() => localStorage.setItem('polydev.idleMinutes', '0.15')");
        await session.Page.ReloadAsync();
        await web.WaitForPageAsync("unlock");

        // Issue 13, finding 15g: the session survives a reload of the tab (sessionStorage), never on disk (localStorage).
        Assert.NotNull(await session.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('polydev.session')"));
        Assert.Null(await session.Page.EvaluateAsync<string?>("() => localStorage.getItem('polydev.session')"));
        await web.UnlockAsync(password);
        await web.WaitForPageAsync("providers", 60_000);
        await session.Page.GetByText(label).WaitForAsync();
        var requestsBeforeLock = (await session.Log.RequestsAsync()).Count;

        // No input for a few seconds: locked, and the decrypted label is gone from the DOM, not merely hidden.
        await web.WaitForPageAsync("locked", 40_000);
        Assert.DoesNotContain(label, await session.Page.ContentAsync(), StringComparison.Ordinal);
        Assert.False(await web.Navigation.IsVisibleAsync(), "The navigation must be hidden while locked.");
        await session.ScreenshotAsync("locked");

        await web.UnlockAsync(password);
        await web.WaitForPageAsync("providers", 60_000);
        await session.Page.GetByText(label).WaitForAsync();
        var afterLock = (await session.Log.RequestsAsync()).Skip(requestsBeforeLock).ToList();
        Assert.DoesNotContain(afterLock, r => r.Url.Contains("/api/auth/login", StringComparison.Ordinal) || r.Url.Contains("/api/auth/prelogin", StringComparison.Ordinal));

        await session.Log.AssertNeverSentAsync(password);
        await session.Log.AssertNeverSentAsync(label);
        Assert.Empty(session.Log.CspViolations);
    }

    [Fact]
    public async Task Sign_in_works_from_the_keyboard_alone_and_a_wrong_password_keeps_what_was_typed()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        var web = new WebClient(session.Page);
        var email = $"keys-{Guid.NewGuid():N}@example.com";
        var password = Needles.Canary("password");
        await web.SignUpAsync(email, password);
        await web.GoToAsync("Settings", "settings");
        await session.ScreenshotAsync("settings");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await web.WaitForPageAsync("signin");
        await session.ScreenshotAsync("signin");

        // A wrong password: refused in words, the e-mail still there.
        await session.Page.GetByLabel("E-mail").FillAsync(email);
        await session.Page.GetByLabel("Password").FillAsync(password + "x");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Alert).WaitForAsync(new() { Timeout = 60_000 });
        Assert.Matches("(?i)password", await session.Page.GetByRole(AriaRole.Alert).InnerTextAsync());
        Assert.Equal(email, await session.Page.GetByLabel("E-mail").InputValueAsync());
        await web.WaitForPageAsync("signin");

        // Keyboard only: the page puts focus in its first field; Tab moves on, Enter submits.
        await session.Page.ReloadAsync();
        await web.WaitForPageAsync("signin");
        Assert.Equal("E-mail", await session.Page.EvaluateAsync<string>("() => document.activeElement?.labels?.[0]?.textContent?.trim() ?? ''"));
        await session.Page.Keyboard.PressAsync("Control+A");
        await session.Page.Keyboard.TypeAsync(email);
        await session.Page.Keyboard.PressAsync("Tab");
        await session.Page.Keyboard.TypeAsync(password);
        await session.Page.Keyboard.PressAsync("Enter");
        await web.WaitForPageAsync("chats", 60_000);

        // The idle timeout is the user's: saved from the settings page for this device.
        await web.GoToAsync("Settings", "settings");
        await session.Page.GetByLabel("Lock after this many minutes without activity").FillAsync("5");
        await session.Page.Locator("section[aria-labelledby=settings-idle]").GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await session.Page.WaitForFunctionAsync("() => localStorage.getItem('polydev.idleMinutes') === '5'");
        Assert.Empty(session.Log.CspViolations);
        Assert.Empty(session.Log.PageErrors);
    }

    /// <summary>
    /// Issue 14: an answer reads as Markdown — highlighted code with a Copy button that fills the clipboard — and
    /// hostile HTML in it stays text: no script runs, no element or link the renderer did not make, no image loads.
    /// </summary>
    [Fact]
    public async Task An_answer_renders_as_markdown_with_highlighted_copyable_code_and_hostile_html_stays_text()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var web = new WebClient(session.Page);
        var page = session.Page;
        var password = Needles.Canary("password");
        await web.SignUpAsync($"markdown-{Guid.NewGuid():N}@example.com", password);
        await web.NewChatAsync("Markdown");
        var chatId = Guid.Parse(page.Url.TrimEnd('/').Split('/')[^1]);

        // An answer as a CLI could give it, saved the way the clients save one (sealed here with the user's key).
        const string code = "def greet(name):\n    return f\"hello {name}\"  # says hi";
        var answer = string.Join("\n\n",
            "## Steps", "Run **this**:", $"```python\n{code}\n```",
            "<script>window.__pwned = true</script>", "<img src=\"https://tracker.example/p.png\" onerror=\"window.__pwned = true\">",
            "[click me](javascript:window.__pwned=true) and ![pixel](https://tracker.example/pixel.png)");
        var token = await page.EvaluateAsync<string>("() => JSON.parse(sessionStorage.getItem('polydev.session')).token");
        await OwnerRequests.PostAnswerAsync(server, token, password, chatId, answer);

        await page.ReloadAsync();
        await web.WaitForPageAsync("unlock");
        await web.UnlockAsync(password);
        var markdown = page.Locator("article.message-assistant .markdown");
        await markdown.Locator("h5").GetByText("Steps").WaitForAsync(new() { Timeout = 60_000 });
        Assert.Equal("this", await markdown.Locator("strong").InnerTextAsync());
        Assert.Equal("def", await markdown.Locator("pre code.language-python .hljs-keyword").First.InnerTextAsync());
        Assert.Equal(0, await markdown.Locator("script, img, iframe").CountAsync());
        Assert.Equal(0, await markdown.Locator("a[href^='javascript']").CountAsync());
        Assert.Contains("<script>window.__pwned = true</script>", await markdown.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("https://tracker.example/pixel.png", await markdown.GetByRole(AriaRole.Link, new() { Name = "image: pixel" }).GetAttributeAsync("href"));
        Assert.False(await page.EvaluateAsync<bool>("() => window.__pwned === true"));
        Assert.DoesNotContain(await session.Log.RequestsAsync(), r => r.Url.Contains("tracker.example", StringComparison.Ordinal));

        await markdown.GetByRole(AriaRole.Button, new() { Name = "Copy code" }).ClickAsync();
        await markdown.GetByRole(AriaRole.Button, new() { Name = "Copied" }).WaitForAsync();
        Assert.Equal(code, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await session.ScreenshotAsync("chat-markdown");

        // Search, in the page: the chat found by words of its answer, with a snippet; the query never leaves the page.
        await web.GoToAsync("Chats", "chats");
        await page.GetByLabel("Search your chats").FillAsync("GREET(name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        var results = page.GetByRole(AriaRole.List, new() { Name = "Search results" });
        await results.GetByRole(AriaRole.Link, new() { Name = "Markdown" }).WaitForAsync();
        Assert.Contains("def greet(name):", await results.Locator(".search-snippet").InnerTextAsync(), StringComparison.Ordinal);
        await session.Log.AssertNeverSentAsync("GREET(name");
        Assert.Empty(session.Log.CspViolations);
        Assert.Empty(session.Log.PageErrors);
    }

    /// <summary>
    /// Issue 14: a reload keeps the chat open when "stay unlocked on this device" was chosen — the keys kept in
    /// IndexedDB as non-extractable CryptoKeys — and asks for the password when it was not, or after a lock or sign-out.
    /// </summary>
    [Fact]
    public async Task Stay_unlocked_survives_a_reload_until_lock_or_sign_out_and_is_never_the_default()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        var web = new WebClient(session.Page);
        var page = session.Page;
        var email = $"stay-{Guid.NewGuid():N}@example.com";
        var password = Needles.Canary("password");
        await web.SignUpAsync(email, password);
        await web.NewChatAsync("Kept open");
        var chatUrl = page.Url;

        // Not chosen: a reload asks for the password.
        await page.ReloadAsync();
        await web.WaitForPageAsync("unlock");
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByLabel("Stay unlocked on this device").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        await web.WaitForPageAsync("run", 60_000);

        // Chosen: the chat opens again after a reload, and what the browser keeps cannot be read out.
        await page.ReloadAsync();
        await web.WaitForPageAsync("run", 30_000);
        Assert.Equal(chatUrl, page.Url);
        Assert.Equal("false,false", await page.EvaluateAsync<string>("""
            () => new Promise((resolve, reject) => {
              const open = indexedDB.open("polydev", 1);
              open.onerror = () => reject(open.error);
              open.onsuccess = () => {
                const get = open.result.transaction("device-keys").objectStore("device-keys").get("keys");
                get.onsuccess = () => resolve(`${get.result.userKey.extractable},${get.result.privateKey.extractable}`);
              };
            })
            """));

        // A lock ends it: the next reload asks again.
        await web.LockAsync();
        await page.ReloadAsync();
        await web.WaitForPageAsync("unlock");

        // So does signing out; a new sign-in that does not choose it keeps nothing.
        await web.UnlockAsync(password);
        await web.GoToAsync("Settings", "settings");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await web.WaitForPageAsync("signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await web.WaitForPageAsync("chats", 60_000);
        await page.ReloadAsync();
        await web.WaitForPageAsync("unlock");
        await session.Log.AssertNeverSentAsync(password);
        Assert.Empty(session.Log.PageErrors);
    }

    /// <summary>Issue 14: dark mode follows the system; a chat says when a provider cannot run here before anyone sends.</summary>
    [Fact]
    public async Task Dark_mode_follows_the_system_and_the_composer_says_which_providers_this_server_cannot_run()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        var web = new WebClient(session.Page);
        var page = session.Page;
        await web.SignUpAsync($"first-use-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        await web.GoToAsync("Providers", "providers");
        await web.AddApiKeyAsync("anthropic", "work", Needles.Canary("key"));
        await web.GoToAsync("Chats", "chats");
        await web.NewChatAsync("First use");
        await page.GetByText("This server does not run Claude.").WaitForAsync(new() { Timeout = 30_000 });

        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        Assert.Equal("rgb(255, 255, 255)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        Assert.Equal("rgb(13, 17, 23)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        Assert.Equal("rgb(230, 237, 243)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).color"));
        await session.ScreenshotAsync("chat-dark");
        Assert.Empty(session.Log.CspViolations);
        Assert.Empty(session.Log.PageErrors);
    }

    /// <summary>Issue 13, finding 14: key rotation from settings (alone and with a password change), forced by a recovery and by a sign-in after an unfinished one.</summary>
    [Fact]
    public async Task Keys_are_rotated_from_settings_and_after_a_recovery_and_each_rotation_shows_a_new_code()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        var web = new WebClient(session.Page);
        var page = session.Page;
        var email = $"rotate-{Guid.NewGuid():N}@example.com";
        var (password, newPassword, recoveredPassword) = (Needles.Canary("password"), Needles.Canary("new-password"), Needles.Canary("recovered-password"));
        var codes = new List<string> { await web.SignUpAsync(email, password) };
        var title = Needles.Canary("title");
        var label = Needles.Canary("label");
        await web.NewChatAsync(title);
        await web.GoToAsync("Providers", "providers");
        await web.AddApiKeyAsync("anthropic", label, Needles.Canary("key"));
        await using var db = new SqliteConnection($"Data Source={server.SqlitePath}");
        await db.OpenAsync();
        var keys = new List<byte[]> { (await StoredKeys.UserKeyAsync(db, password)).UserKey };

        // Rotate keys, alone: two records re-encrypted, a new code, and the page goes on with the new keys.
        await web.GoToAsync("Settings", "settings");
        var rotation = page.Locator("section[aria-labelledby=settings-rotation]");
        await rotation.GetByLabel("Password").FillAsync(password);
        await rotation.GetByRole(AriaRole.Button, new() { Name = "Rotate keys" }).ClickAsync();
        codes.Add(await SavedCodeAsync(page, "Done", records: 2));
        keys.Add((await StoredKeys.UserKeyAsync(db, password)).UserKey);
        await web.GoToAsync("Chats", "chats");
        await page.GetByRole(AriaRole.Link, new() { Name = title }).WaitForAsync();

        // A password change with the box ticked rotates in the same step.
        await web.GoToAsync("Settings", "settings");
        var passwordCard = page.Locator("section[aria-labelledby=settings-password]");
        await passwordCard.GetByLabel("Current password").FillAsync(password);
        await passwordCard.GetByLabel("New password").FillAsync(newPassword);
        await passwordCard.GetByLabel("Confirm password").FillAsync(newPassword);
        await passwordCard.GetByLabel("Also rotate my keys").CheckAsync();
        await passwordCard.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        codes.Add(await SavedCodeAsync(page, "Done"));
        await passwordCard.GetByRole(AriaRole.Status).GetByText("Password changed and keys rotated").WaitForAsync();
        keys.Add((await StoredKeys.UserKeyAsync(db, newPassword)).UserKey);
        await web.GoToAsync("Providers", "providers");
        await page.GetByText(label).WaitForAsync();

        // Recovery with the last code: reset, sign-in and rotation, with yet another code shown once.
        await web.GoToAsync("Settings", "settings");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await web.WaitForPageAsync("signin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Use your recovery code" }).ClickAsync();
        await web.WaitForPageAsync("recover");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Recovery code").FillAsync(codes[^1]);
        await page.GetByLabel("New password").FillAsync(recoveredPassword);
        await page.GetByLabel("Confirm password").FillAsync(recoveredPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        codes.Add(await SavedCodeAsync(page, "Continue"));
        await web.WaitForPageAsync("chats", 60_000);
        await page.GetByRole(AriaRole.Link, new() { Name = title }).WaitForAsync();
        keys.Add((await StoredKeys.UserKeyAsync(db, recoveredPassword)).UserKey);

        // A sign-in after a recovery that stopped before rotating rotates first.
        await web.GoToAsync("Settings", "settings");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await web.WaitForPageAsync("signin");
        await using (var command = db.CreateCommand())
        {
            command.CommandText = "UPDATE users SET key_rotation_required = 1";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(recoveredPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        codes.Add(await SavedCodeAsync(page, "Continue"));
        await web.WaitForPageAsync("chats", 60_000);
        keys.Add((await StoredKeys.UserKeyAsync(db, recoveredPassword)).UserKey);

        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.Equal(keys.Count, keys.Select(Convert.ToHexString).Distinct().Count());
        foreach (var secret in codes.Concat([password, newPassword, recoveredPassword, title, label]))
        {
            await session.Log.AssertNeverSentAsync(secret);
        }

        Assert.Empty(session.Log.CspViolations);
        Assert.Empty(session.Log.PageErrors);
    }

    /// <summary>
    /// The recovery code a rotation of <paramref name="records"/> vault records shows once; confirms it was saved and
    /// goes on with <paramref name="button"/>.
    /// </summary>
    private static async Task<string> SavedCodeAsync(IPage page, string button, int records = 2)
    {
        await page.GetByRole(AriaRole.Heading, new() { Name = "Save your recovery code" }).WaitForAsync(new() { Timeout = 90_000 });
        Assert.Equal(records.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Locator("[data-rotated]").GetAttributeAsync("data-rotated"));
        Assert.Contains("re-encrypted under a new key", await page.Locator("[data-rotated] [role=status]").InnerTextAsync(), StringComparison.Ordinal);
        var code = (await page.Locator("#recovery-code").InnerTextAsync()).Trim();
        await page.GetByLabel("I have saved my recovery code").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
        return code;
    }

    [Fact]
    public async Task Chats_keys_password_recovery_code_and_the_account_can_be_managed_from_the_pages()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        var web = new WebClient(session.Page);
        var page = session.Page;
        var email = $"manage-{Guid.NewGuid():N}@example.com";
        var password = Needles.Canary("password");
        var newPassword = Needles.Canary("new-password");
        var firstCode = await web.SignUpAsync(email, password);

        // Chats: new, rename from the list, delete after confirming.
        var title = Needles.Canary("title");
        var renamed = Needles.Canary("renamed");
        await web.NewChatAsync(title);
        await web.GoToAsync("Chats", "chats");
        var chats = page.GetByRole(AriaRole.List, new() { Name = "Your chats" });
        await chats.GetByRole(AriaRole.Button, new() { Name = $"Rename {title}" }).ClickAsync();
        await chats.GetByLabel("New title").FillAsync(renamed);
        await chats.GetByRole(AriaRole.Button, new() { Name = "Save title" }).ClickAsync();
        await chats.GetByRole(AriaRole.Link, new() { Name = renamed }).WaitForAsync();
        await chats.GetByRole(AriaRole.Button, new() { Name = $"Delete {renamed}" }).ClickAsync();
        await chats.GetByRole(AriaRole.Button, new() { Name = "Delete chat" }).ClickAsync();
        await chats.GetByRole(AriaRole.Link, new() { Name = renamed }).WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // Providers: a key added, then removed after confirming.
        await web.GoToAsync("Providers", "providers");
        var label = Needles.Canary("label");
        await web.AddApiKeyAsync("openai", label, Needles.Canary("key"));
        var openai = page.Locator("section[data-provider=openai]");
        await openai.GetByRole(AriaRole.Button, new() { Name = $"Remove {label}" }).ClickAsync();
        await openai.GetByRole(AriaRole.Button, new() { Name = "Remove for good" }).ClickAsync();
        await openai.GetByRole(AriaRole.Button, new() { Name = $"Remove {label}" }).WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.ReloadAsync();
        await web.WaitForPageAsync("unlock");
        await web.UnlockAsync(password);
        await web.WaitForPageAsync("providers", 60_000);
        Assert.Equal(0, await page.GetByText(label).CountAsync());

        // Settings: a new recovery code (shown once, different), then a new password that the next sign-in needs.
        await web.GoToAsync("Settings", "settings");
        var recovery = page.Locator("section[aria-labelledby=settings-recovery]");
        await recovery.GetByLabel("Current password").FillAsync(password);
        await recovery.GetByRole(AriaRole.Button, new() { Name = "Create a new recovery code" }).ClickAsync();
        var secondCode = (await page.Locator("#recovery-code").InnerTextAsync(new() { Timeout = 60_000 })).Trim();
        Assert.NotEqual(firstCode, secondCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        var passwordCard = page.Locator("section[aria-labelledby=settings-password]");
        await passwordCard.GetByLabel("Current password").FillAsync(password);
        await passwordCard.GetByLabel("New password").FillAsync(newPassword);
        await passwordCard.GetByLabel("Confirm password").FillAsync(newPassword);
        await passwordCard.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await passwordCard.GetByRole(AriaRole.Status).GetByText("Password changed").WaitForAsync(new() { Timeout = 60_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await web.WaitForPageAsync("signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync(new() { Timeout = 60_000 });
        await page.GetByLabel("Password").FillAsync(newPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await web.WaitForPageAsync("chats", 60_000);

        // Deleting the account takes the password and a confirmation, and leaves no row of the user behind.
        await web.GoToAsync("Settings", "settings");
        var deletion = page.Locator("section[aria-labelledby=settings-delete]");
        await deletion.GetByLabel("Password").FillAsync(newPassword);
        await deletion.GetByLabel("I understand").CheckAsync();
        await deletion.GetByRole(AriaRole.Button, new() { Name = "Delete account" }).ClickAsync();
        await web.WaitForPageAsync("signin", 60_000);
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('polydev.session')"));
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('polydev.session')"));

        foreach (var secret in new[] { password, newPassword, title, renamed, label, firstCode, secondCode })
        {
            await session.Log.AssertNeverSentAsync(secret);
        }

        Assert.Empty(session.Log.CspViolations);
        await server.StopAsync();
        var dump = await DatabaseDump.ReadSqliteAsync(server.SqlitePath);
        Assert.Empty(dump.Rows("users"));
        Assert.Empty(dump.Rows("chats"));
        Assert.Empty(dump.Rows("provider_credentials"));
    }

    [Fact]
    public async Task On_a_phone_sized_screen_no_page_scrolls_sideways()
    {
        await using var server = await StartServerAsync();
        await using var session = await browser.NewSessionAsync(server.Url, BrowserViewport.Phone);
        var web = new WebClient(session.Page);
        await web.SignUpAsync($"phone-{Guid.NewGuid():N}@example.com", Needles.Canary("password"), name => session.ScreenshotAsync(name));
        await web.NewChatAsync("On the go");
        await session.ScreenshotAsync("run");
        foreach (var (link, page) in new[] { ("Chats", "chats"), ("Providers", "providers"), ("Settings", "settings") })
        {
            await web.GoToAsync(link, page);
            // Measured and explained in one step: what sticks out past the screen's right edge, if anything.
            var report = await session.Page.EvaluateAsync<string>(
                "() => { const width = document.documentElement.clientWidth; const overflow = document.documentElement.scrollWidth - width; " +
                "if (overflow <= 0) return ''; return overflow + ' px; past the edge: ' + [...document.querySelectorAll('body *')]" +
                ".filter(e => e.getBoundingClientRect().right > width + 0.5 || e.scrollWidth > e.clientWidth + 1).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + " +
                "(typeof e.className === 'string' && e.className ? '.' + e.className : '') + ' (' + Math.round(e.getBoundingClientRect().width) + ' px, content ' + e.scrollWidth + ' px)').slice(-4).join(', '); }");
            Assert.True(report.Length == 0, $"The {page} page is wider than a {session.Viewport.Width} px screen by {report}.");
            await session.ScreenshotAsync(page);
        }
    }
}
