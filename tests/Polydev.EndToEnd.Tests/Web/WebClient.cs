using Microsoft.Playwright;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>
/// The web client's pages as a user works them, by the labels and roles a screen reader would announce
/// (web/README.md, "For browser tests"). One instance drives one page.
/// </summary>
public sealed class WebClient(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Main => Page.Locator("main");

    public ILocator Navigation => Page.GetByRole(AriaRole.Navigation);

    /// <summary>Waits until the page shown is <paramref name="id"/> (its root's data-page).</summary>
    public Task WaitForPageAsync(string id, float timeout = 30_000) =>
        Page.Locator($"[data-page=\"{id}\"]").WaitForAsync(new LocatorWaitForOptions { Timeout = timeout });

    /// <summary>Signs up through the page; returns the recovery code it showed once.</summary>
    public async Task<string> SignUpAsync(string email, string password, Func<string, Task>? screenshot = null)
    {
        await Page.GotoAsync("/signup");
        await WaitForPageAsync("signup");
        await Page.GetByLabel("E-mail").FillAsync(email);
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await Page.GetByLabel("Confirm password").FillAsync(password);
        if (screenshot is not null)
        {
            await screenshot("signup");
        }

        await Page.GetByLabel("I understand").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        // Sign-up derives the keys at the default cost (600,000 PBKDF2 iterations) on a shared machine.
        await Page.GetByRole(AriaRole.Heading, new() { Name = "Save your recovery code" }).WaitForAsync(new() { Timeout = 60_000 });
        var code = (await Page.Locator("#recovery-code").InnerTextAsync()).Trim();
        if (screenshot is not null)
        {
            await screenshot("signup-recovery-code");
        }

        await Page.GetByLabel("I have saved my recovery code").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Continue to Polydev" }).ClickAsync();
        await WaitForPageAsync("chats");
        return code;
    }

    public async Task GoToAsync(string link, string pageId)
    {
        await Navigation.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();
        await WaitForPageAsync(pageId);
    }

    /// <summary>Adds an API key on the Providers page, optionally with the endpoint it belongs to.</summary>
    public async Task AddApiKeyAsync(string provider, string label, string apiKey, string? baseUrl = null, string? caBundle = null)
    {
        var section = Page.Locator($"section[data-provider=\"{provider}\"]");
        await section.GetByLabel("Label").FillAsync(label);
        await section.GetByLabel("API key").FillAsync(apiKey);
        if (baseUrl is not null)
        {
            await section.GetByText("Advanced").ClickAsync();
            await section.GetByLabel("Base URL").FillAsync(baseUrl);
            if (caBundle is not null)
            {
                await section.GetByLabel("CA bundle (PEM)").FillAsync(caBundle);
            }
        }

        await section.GetByRole(AriaRole.Button, new() { Name = "Add API key" }).ClickAsync();
        await section.GetByRole(AriaRole.Button, new() { Name = $"Remove {label}" }).WaitForAsync(new() { Timeout = 30_000 });
    }

    /// <summary>Creates a chat from the chat list and opens it.</summary>
    public async Task NewChatAsync(string title)
    {
        await Page.GetByLabel("Title of the new chat").FillAsync(title);
        await Page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await WaitForPageAsync("run");
    }

    /// <summary>Sends <paramref name="prompt"/> to the named providers ("Claude", "Codex", "Gemini").</summary>
    public async Task SendAsync(string prompt, params string[] providers)
    {
        var composer = Page.GetByRole(AriaRole.Form, new() { Name = "New message" });
        await composer.GetByLabel("Prompt").FillAsync(prompt);
        foreach (var name in new[] { "Claude", "Codex", "Gemini" })
        {
            var box = composer.GetByLabel(name, new() { Exact = true });
            if (await box.CountAsync() == 0)
            {
                Assert.DoesNotContain(name, providers);
                continue;
            }

            await box.SetCheckedAsync(providers.Contains(name));
        }

        // Answers of earlier sends may still be on the page: mark them, so the waits below see only this send's.
        await Page.EvaluateAsync("() => document.querySelectorAll('article.answer').forEach(a => a.dataset.earlier = '')");
        await composer.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
    }

    /// <summary>The live answer of one provider to the latest send (data-provider is the API's provider name).</summary>
    public ILocator LiveAnswer(string provider) => Page.Locator($"article.answer[data-provider=\"{provider}\"]:not([data-earlier])");

    /// <summary>Waits until the provider's live answer has ended and says how (done, failed, cancelled).</summary>
    public async Task<string> WaitForAnswerEndAsync(string provider, float timeout = 120_000)
    {
        var answer = LiveAnswer(provider);
        await Page.WaitForFunctionAsync(
            "provider => ['done', 'failed', 'cancelled'].includes(document.querySelector(`article.answer[data-provider=\"${provider}\"]:not([data-earlier])`)?.dataset.status)",
            provider,
            new() { Timeout = timeout });
        return await answer.GetAttributeAsync("data-status") ?? "";
    }

    /// <summary>Signs in to an account made elsewhere (the terminal's), landing on the chats.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await Page.GotoAsync("/signin");
        await WaitForPageAsync("signin");
        await Page.GetByLabel("E-mail").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitForPageAsync("chats", 60_000);
    }

    public async Task UnlockAsync(string password)
    {
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
    }

    public async Task LockAsync()
    {
        await Navigation.GetByRole(AriaRole.Button, new() { Name = "Lock" }).ClickAsync();
        await WaitForPageAsync("locked");
    }
}
