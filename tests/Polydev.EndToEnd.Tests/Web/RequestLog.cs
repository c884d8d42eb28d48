using System.Collections.Concurrent;
using System.Text;
using Microsoft.Playwright;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>One request the page sent, as it left the browser: every header, and the body bytes when it had one.</summary>
public sealed record CapturedRequest(string Method, string Url, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>Everything a secret could hide in, as one string for "no canary anywhere" checks.</summary>
    public string Text =>
        $"{Method} {Url}\n{string.Join('\n', Headers.Select(h => $"{h.Key}: {h.Value}"))}\n\n{Encoding.UTF8.GetString(Body)}";
}

/// <summary>A Content-Security-Policy violation the page reported (its <c>securitypolicyviolation</c> event).</summary>
public sealed record CspViolation(string Directive, string BlockedUri, string Sample);

/// <summary>A console message the page logged (type: error, warning, log, …) and where (for a failed load, the URL).</summary>
public sealed record ConsoleEntry(string Type, string Text, string Location);

/// <summary>
/// What a page did on the wire and went wrong in it: every request it sent (HTTP and WebSocket frames), CSP
/// violations, console messages and uncaught errors. The canary checks read <see cref="Requests"/>.
/// </summary>
public sealed class RequestLog
{
    /// <summary>Name of the function the init script calls; visible to the page, so tests only.</summary>
    internal const string CspBinding = "__polydevTestCspViolation";

    /// <summary>
    /// Runs before any script of the page (injected by the browser, so the page's CSP does not apply to it) and
    /// forwards violations from the first inline script on.
    /// </summary>
    internal const string CspListenerScript =
        "document.addEventListener('securitypolicyviolation', e => { const report = globalThis." + CspBinding + "; " +
        "if (typeof report === 'function') report({ directive: e.effectiveDirective, blockedUri: e.blockedURI, sample: e.sample || '' }); }, true);";

    private readonly ConcurrentQueue<Task<CapturedRequest>> _requests = new();
    private readonly ConcurrentQueue<CapturedRequest> _frames = new();
    private readonly ConcurrentQueue<CspViolation> _violations = new();
    private readonly ConcurrentQueue<ConsoleEntry> _console = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();

    internal async Task AttachAsync(IBrowserContext context)
    {
        context.Request += (_, request) => _requests.Enqueue(CaptureAsync(request));
        context.Console += (_, message) => _console.Enqueue(new ConsoleEntry(message.Type, message.Text, message.Location));
        context.WebError += (_, error) => _pageErrors.Enqueue(error.Error);
        context.Page += (_, page) => AttachWebSockets(page);
        await context.ExposeBindingAsync<System.Text.Json.JsonElement>(CspBinding, (_, report) => _violations.Enqueue(new CspViolation(
            report.GetProperty("directive").GetString() ?? "",
            report.GetProperty("blockedUri").GetString() ?? "",
            report.GetProperty("sample").GetString() ?? "")));
        await context.AddInitScriptAsync(CspListenerScript);
    }

    /// <summary>Every request so far, with all headers read (awaits the ones still being read).</summary>
    public async Task<IReadOnlyList<CapturedRequest>> RequestsAsync()
    {
        var requests = await Task.WhenAll(_requests.ToArray());
        return [.. requests, .. _frames];
    }

    public IReadOnlyList<CspViolation> CspViolations => [.. _violations];

    public IReadOnlyList<ConsoleEntry> Console => [.. _console];

    public IReadOnlyList<ConsoleEntry> ConsoleErrors => [.. _console.Where(entry => entry.Type == "error")];

    /// <summary>Uncaught exceptions and unhandled rejections in the page.</summary>
    public IReadOnlyList<string> PageErrors => [.. _pageErrors];

    /// <summary>Asserts that <paramref name="canary"/> appears in no URL, header or body the page sent.</summary>
    public async Task AssertNeverSentAsync(string canary)
    {
        foreach (var request in await RequestsAsync())
        {
            Assert.False(request.Text.Contains(canary, StringComparison.Ordinal), $"A canary left the page in {request.Method} {request.Url}.");
        }
    }

    private static async Task<CapturedRequest> CaptureAsync(IRequest request)
    {
        // The full list includes what Request.Headers leaves out (cookies and other headers added by the network stack).
        IReadOnlyList<KeyValuePair<string, string>> headers;
        try
        {
            var all = await request.HeadersArrayAsync().WaitAsync(TimeSpan.FromSeconds(10));
            headers = [.. all.Select(h => new KeyValuePair<string, string>(h.Name, h.Value))];
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            // The page closed, or the browser never reported the final headers (a request it cancelled): keep the
            // headers the page itself set, which is where a leaked secret would be.
            headers = [.. request.Headers];
        }

        return new CapturedRequest(request.Method, request.Url, headers, request.PostDataBuffer ?? []);
    }

    private void AttachWebSockets(IPage page) =>
        page.WebSocket += (_, socket) => socket.FrameSent += (_, frame) => _frames.Enqueue(
            new CapturedRequest("WEBSOCKET", socket.Url, [], frame.Binary ?? Encoding.UTF8.GetBytes(frame.Text ?? "")));
}
