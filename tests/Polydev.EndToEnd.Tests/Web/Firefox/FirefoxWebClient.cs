namespace Polydev.EndToEnd.Tests.Web.Firefox;

/// <summary>
/// The web client's pages as a user works them in Firefox, by the labels and roles of web/README.md ("For browser
/// tests") — the Firefox twin of <see cref="WebClient"/>. One instance drives one page.
/// </summary>
public sealed class FirefoxWebClient(FirefoxPage page)
{
    public const string SignUpWarning = "I understand: if I lose both my password and my recovery code, my data is gone for good.";

    public FirefoxPage Page { get; } = page;

    /// <summary>Signs up through the page; returns the recovery code it showed once.</summary>
    public async Task<string> SignUpAsync(string email, string password, Func<Task>? beforeSubmit = null)
    {
        await Page.GotoAsync("/signup");
        await Page.WaitForPageAsync("signup");
        await Page.FillAsync("E-mail", email);
        await Page.FillAsync("Password", password);
        await Page.FillAsync("Confirm password", password);
        await Page.ClickAsync(SignUpWarning, "checkbox");
        if (beforeSubmit is not null)
        {
            await beforeSubmit();
        }

        await Page.ClickAsync("Create account");

        // Sign-up derives the keys at the default cost (600,000 PBKDF2 iterations), makes the P-256 key pair and
        // exports its PKCS#8 — all Firefox's Web Crypto — on a shared machine.
        await Page.FindAsync("Save your recovery code", "heading", timeout: TimeSpan.FromSeconds(90));
        var code = (await Page.EvaluateAsync<string>("document.querySelector('#recovery-code')?.textContent ?? ''")).Trim();
        await Page.ClickAsync("I have saved my recovery code", "checkbox");
        await Page.ClickAsync("Continue to Polydev");
        await Page.WaitForPageAsync("chats");
        return code;
    }

    public async Task GoToAsync(string link, string pageId)
    {
        await Page.ClickAsync(link, "link", within: "nav");
        await Page.WaitForPageAsync(pageId);
    }

    /// <summary>Adds an API key on the Providers page and waits until its (decrypted) label is listed.</summary>
    public async Task AddApiKeyAsync(string provider, string label, string apiKey)
    {
        var section = $"section[data-provider=\"{provider}\"]";
        await Page.FillAsync("Label", label, within: section);
        await Page.FillAsync("API key", apiKey, within: section);
        await Page.ClickAsync("Add API key", within: section);
        await Page.FindAsync($"Remove {label}", "button", within: section, timeout: TimeSpan.FromSeconds(30));
    }

    public async Task UnlockAsync(string password)
    {
        await Page.FillAsync("Password", password);
        await Page.ClickAsync("Unlock");
    }

    public async Task LockAsync()
    {
        await Page.ClickAsync("Lock", within: "nav");
        await Page.WaitForPageAsync("locked");
    }

    /// <summary>The visible text of <c>&lt;main&gt;</c>.</summary>
    public Task<string> MainTextAsync() => Page.EvaluateAsync<string>("document.querySelector('main')?.innerText ?? ''");
}
