using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Web.Firefox;

/// <summary>
/// The web client in Debian's firefox-esr against a real <c>polydev server</c> (no sandboxes needed), driven over
/// WebDriver BiDi. What Chromium proves elsewhere, proved in Gecko: its Web Crypto makes the account (PBKDF2, HKDF,
/// AES-GCM, a P-256 key pair exported as PKCS#8) and opens it again after a reload (PKCS#8 imported), the lock empties
/// the page, and nothing breaks the Content-Security-Policy or throws.
/// </summary>
public sealed class FirefoxTests(FirefoxFixture firefox) : IClassFixture<FirefoxFixture>
{
    private static Task<ServerProcess> StartServerAsync() =>
        ServerProcess.StartAsync(null, new Dictionary<string, string?> { ["POLYDEV_WEB__ROOT"] = BuiltWebClient.Directory });

    [Fact]
    public async Task Sign_up_add_a_key_reload_unlock_and_lock_work_in_Firefox()
    {
        await using var server = await StartServerAsync();
        await using var page = await firefox.NewPageAsync(server.Url);
        var web = new FirefoxWebClient(page);
        var password = Needles.Canary("password");
        var label = Needles.Canary("label");

        var code = await web.SignUpAsync($"firefox-{Guid.NewGuid().ToString("N")[..8]}@example.com", password, () => page.ScreenshotAsync("signup"));
        Assert.False(string.IsNullOrWhiteSpace(code), "The recovery code was not shown.");

        await web.GoToAsync("Providers", "providers");
        await web.AddApiKeyAsync("anthropic", label, Needles.Canary("key"));
        Assert.Contains(label, await web.MainTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("providers");

        // A reload forgets the keys: the unlock screen, not sign-in. A wrong password is refused in words and what
        // was typed stays; the right one opens the wrapped keys from GET /api/account again.
        await page.ReloadAsync();
        await page.WaitForPageAsync("unlock");
        await web.UnlockAsync(password + "x");
        await page.WaitForAsync("document.querySelector('main')?.textContent.includes('Wrong password.') === true", "\"Wrong password.\"", TimeSpan.FromSeconds(60));
        await page.WaitForPageAsync("unlock");
        Assert.Equal(password + "x", await page.CallAsync<string>("(input) => input.value", await page.FindAsync("Password")));

        await web.UnlockAsync(password);
        await page.WaitForPageAsync("providers", TimeSpan.FromSeconds(60));
        await page.FindAsync($"Remove {label}", "button");
        Assert.Contains(label, await web.MainTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.EvaluateAsync<bool>("performance.getEntriesByName('polydev:unlock-end').length > 0"), "No polydev:unlock-end mark.");

        // The Lock button drops the keys and empties the page: the decrypted label is gone from the DOM itself.
        await web.LockAsync();
        Assert.DoesNotContain(label, await page.HtmlAsync(), StringComparison.Ordinal);

        Assert.Empty(page.CspViolations);
        Assert.Empty(page.JavaScriptErrors);
    }

    [Fact]
    public async Task What_goes_wrong_in_the_page_reaches_the_test_so_empty_lists_mean_none()
    {
        await using var server = await StartServerAsync();
        await using var page = await firefox.NewPageAsync(server.Url);
        await page.GotoAsync("/signin");
        await page.WaitForPageAsync("signin");
        Assert.Empty(page.CspViolations);
        Assert.Empty(page.JavaScriptErrors);

        // An inline style attribute: style-src 'self' refuses it and the page reports it. An exception nobody
        // catches: Firefox logs it.
        await page.EvaluateAsync<bool>("(document.body.setAttribute('style', 'outline: 1px solid red'), true)");
        await page.EvaluateAsync<bool>("(setTimeout(() => { throw new Error('thrown on purpose'); }), true)");
        await Eventually(() => page.CspViolations.Any(violation => violation.StartsWith("style-src", StringComparison.Ordinal)), "the style-src violation");
        await Eventually(() => page.JavaScriptErrors.Any(error => error.Contains("thrown on purpose", StringComparison.Ordinal)), "the uncaught error");
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !condition(); await Task.Delay(100))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Firefox never reported {what}.");
        }
    }
}
