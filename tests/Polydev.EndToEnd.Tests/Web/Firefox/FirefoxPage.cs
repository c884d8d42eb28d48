using System.Collections.Concurrent;
using System.Collections.Immutable;
using OpenQA.Selenium.BiDi;
using OpenQA.Selenium.BiDi.Browser;
using OpenQA.Selenium.BiDi.BrowsingContext;
using OpenQA.Selenium.BiDi.Input;
using OpenQA.Selenium.BiDi.Log;
using OpenQA.Selenium.BiDi.Script;

namespace Polydev.EndToEnd.Tests.Web.Firefox;

/// <summary>
/// One test's tab in Firefox, in a user context of its own (fresh cookies and storage), driven over WebDriver BiDi as a
/// user would: elements found through Firefox's accessibility tree by role and accessible name (what a screen reader
/// announces), clicked with pointer actions and typed into with key actions. It records what went wrong in the page:
/// JavaScript errors (BiDi log entries) and CSP violations (a preload script reports each
/// <c>securitypolicyviolation</c> over a BiDi channel).
/// </summary>
public sealed class FirefoxPage : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    // Runs before any script of every document in the user context; the channel argument is a function that sends a
    // script.message event back to the test.
    private const string CspReporter =
        "(report) => document.addEventListener('securitypolicyviolation', e => " +
        "report({ directive: e.effectiveDirective, blockedUri: e.blockedURI, sample: e.sample || '' }), true)";

    private const char ControlKey = '\uE009'; // WebDriver's key code for Control

    private readonly IBiDi _biDi;
    private readonly UserContext _userContext;
    private readonly Uri _baseUrl;
    private readonly List<ISubscription> _subscriptions = [];
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<string> _violations = new();

    private FirefoxPage(IBiDi biDi, UserContext userContext, BrowsingContext context, Uri baseUrl)
    {
        _biDi = biDi;
        _userContext = userContext;
        Context = context;
        _baseUrl = baseUrl;
    }

    public BrowsingContext Context { get; }

    /// <summary>Uncaught exceptions, CSP reports and <c>console.error</c> calls in the page, as "type: text".</summary>
    public IReadOnlyList<string> JavaScriptErrors => [.. _errors];

    /// <summary>CSP violations the page reported, as "directive blocked-uri sample".</summary>
    public IReadOnlyList<string> CspViolations => [.. _violations];

    internal static async Task<FirefoxPage> OpenAsync(IBiDi biDi, Uri baseUrl)
    {
        var userContext = (await biDi.Browser.CreateUserContextAsync(null, CancellationToken.None)).UserContext;
        var context = (await biDi.BrowsingContext.CreateAsync(ContextType.Tab, new CreateOptions { UserContext = userContext }, CancellationToken.None)).Context;
        var page = new FirefoxPage(biDi, userContext, context, baseUrl);
        await context.SetViewportAsync(new ContextSetViewportOptions { Viewport = new Viewport(BrowserViewport.Desktop.Width, BrowserViewport.Desktop.Height) }, CancellationToken.None);

        var channel = new Channel(biDi, "polydev-csp-" + Guid.NewGuid().ToString("N"));
        page._subscriptions.Add(await biDi.Script.Message.SubscribeAsync(message =>
        {
            if (message.Channel.Id == channel.Id)
            {
                page._violations.Enqueue(Describe(message.Data));
            }
        }, CancellationToken.None));
        await biDi.Script.AddPreloadScriptAsync(CspReporter, new AddPreloadScriptOptions
        {
            Arguments = [new ChannelLocalValue(new ChannelProperties(channel))],
            UserContexts = [userContext],
        }, CancellationToken.None);
        page._subscriptions.Add(await context.Log.EntryAdded.SubscribeAsync(entry =>
        {
            if (entry is JavascriptEntryAddedEventArgs || entry.Level == Level.Error)
            {
                page._errors.Enqueue($"{(entry is JavascriptEntryAddedEventArgs ? "javascript" : "console")}: {entry.Text}");
            }
        }, CancellationToken.None));
        return page;
    }

    public async Task GotoAsync(string path) =>
        await Context.NavigateAsync(new Uri(_baseUrl, path).ToString(), new NavigateOptions { Wait = ReadinessState.Complete }, CancellationToken.None);

    public async Task ReloadAsync() =>
        await Context.ReloadAsync(new ReloadOptions { Wait = ReadinessState.Complete }, CancellationToken.None);

    /// <summary>The value of a JavaScript expression in the page (awaited when it is a promise).</summary>
    public async Task<T> EvaluateAsync<T>(string expression) =>
        await Context.Script.EvaluateAsync<T>(expression, true, null, null, CancellationToken.None)
        ?? throw new InvalidOperationException($"{expression} gave nothing in Firefox.");

    /// <summary>Polls <paramref name="expression"/> until it is true.</summary>
    public Task WaitForAsync(string expression, string what, TimeSpan? timeout = null) =>
        Poll(async () => await EvaluateAsync<bool>(expression), what, timeout);

    /// <summary>Waits until the page shown is <paramref name="id"/> (its root's data-page).</summary>
    public Task WaitForPageAsync(string id, TimeSpan? timeout = null) =>
        WaitForAsync($"document.querySelector('[data-page=\"{id}\"]') !== null", $"the {id} page", timeout);

    /// <summary>
    /// The one element with this accessible <paramref name="name"/> (and <paramref name="role"/>, when given) inside
    /// the first element matching <paramref name="within"/>; waits for it to appear. A form control's name comes from
    /// its label, so the label element itself (which Firefox names the same) is left out.
    /// </summary>
    public async Task<ISharedReference> FindAsync(string name, string? role = null, string? within = null, TimeSpan? timeout = null)
    {
        ISharedReference? found = null;
        await Poll(async () =>
        {
            ImmutableArray<ISharedReference>? startNodes = null;
            if (within is not null)
            {
                var scope = await Context.LocateNodesAsync(new CssLocator(within), new LocateNodesOptions { MaxNodeCount = 1 }, CancellationToken.None);
                if (scope.Nodes.IsEmpty)
                {
                    return false;
                }

                startNodes = [new SharedReference(scope.Nodes[0].SharedId!)];
            }

            var nodes = (await Context.LocateNodesAsync(new AccessibilityLocator(new AccessibilityValue { Name = name, Role = role }), new LocateNodesOptions { StartNodes = startNodes }, CancellationToken.None))
                .Nodes.Where(node => node.Value?.LocalName != "label").ToList();
            if (nodes.Count > 1)
            {
                throw new InvalidOperationException($"{nodes.Count} elements are named \"{name}\"{(role is null ? "" : $" with role {role}")}: {string.Join(", ", nodes.Select(node => node.Value?.LocalName))}.");
            }

            found = nodes.Count == 1 ? new SharedReference(nodes[0].SharedId!) : null;
            return found is not null;
        }, $"an element named \"{name}\"{(role is null ? "" : $" with role {role}")}{(within is null ? "" : $" in {within}")}", timeout);
        return found!;
    }

    /// <summary>Clicks the middle of the element, scrolled into view first, with a mouse.</summary>
    public async Task ClickAsync(ISharedReference element)
    {
        await CallAsync<bool>("(element) => { element.scrollIntoView({ block: 'center' }); return true; }", element);
        await Context.Input.PerformActionsAsync(
        [
            new PointerSourceActions("mouse",
            [
                new PointerMoveAction(0, 0) { Origin = new ElementOrigin(element) },
                new PointerDownAction(0),
                new PointerUpAction(0),
            ]),
        ], null, CancellationToken.None);
    }

    public async Task ClickAsync(string name, string role = "button", string? within = null) =>
        await ClickAsync(await FindAsync(name, role, within));

    /// <summary>Clicks into the field labelled <paramref name="label"/>, selects what is in it and types <paramref name="text"/>.</summary>
    public async Task FillAsync(string label, string text, string? within = null)
    {
        await ClickAsync(await FindAsync(label, within: within));
        IKeySourceAction[] selectAll = [new KeyDownAction(ControlKey), new KeyDownAction('a'), new KeyUpAction('a'), new KeyUpAction(ControlKey)];
        await TypeAsync([.. selectAll, .. text.SelectMany(key => new IKeySourceAction[] { new KeyDownAction(key), new KeyUpAction(key) })]);
    }

    /// <summary>Presses keys one after another (WebDriver key codes for special keys, e.g. '\uE007' for Enter).</summary>
    public async Task TypeAsync(IEnumerable<IKeySourceAction> keys) =>
        await Context.Input.PerformActionsAsync([new KeySourceActions("keyboard", [.. keys])], null, CancellationToken.None);

    /// <summary>Calls <paramref name="function"/> with the element (as its first argument) in the page.</summary>
    public async Task<T> CallAsync<T>(string function, ISharedReference element) =>
        await Context.Script.CallFunctionAsync<T>(function, true, new CallFunctionOptions { Arguments = [new SharedReferenceLocalValue(element.SharedId)] }, null, CancellationToken.None)
        ?? throw new InvalidOperationException($"{function} gave nothing in Firefox.");

    /// <summary>The whole document as markup, to prove something is gone from the DOM (not merely hidden).</summary>
    public Task<string> HtmlAsync() => EvaluateAsync<string>("document.documentElement.outerHTML");

    /// <summary>
    /// Saves the whole document as <c>firefox-&lt;name&gt;.png</c> into <c>POLYDEV_SCREENSHOTS_DIR</c> when set, else
    /// into <c>screenshots/</c> in the test output directory. Returns the file's path.
    /// </summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var directory = Environment.GetEnvironmentVariable("POLYDEV_SCREENSHOTS_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"firefox-{name}.png");
        var shot = await Context.CaptureScreenshotAsync(new CaptureScreenshotOptions { Origin = ScreenshotOrigin.Document }, CancellationToken.None);
        await File.WriteAllBytesAsync(path, shot.Data.ToArray());
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions)
        {
            await subscription.DisposeAsync();
        }

        // Removing the user context closes its tab and forgets its storage.
        await _biDi.Browser.RemoveUserContextAsync(_userContext, null, CancellationToken.None);
    }

    private static async Task Poll(Func<Task<bool>> condition, string what, TimeSpan? timeout)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (BiDiException) when (DateTime.UtcNow < deadline)
            {
                // A navigation can replace the document under a command (e.g. "no such frame" or a stale node); retry.
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Waited {(timeout ?? DefaultTimeout).TotalSeconds} s for {what} in Firefox.");
            }

            await Task.Delay(100);
        }
    }

    private static string Describe(RemoteValue report)
    {
        var fields = report.ConvertTo<IReadOnlyDictionary<string, string>>() ?? new Dictionary<string, string>();
        return $"{fields.GetValueOrDefault("directive")} {fields.GetValueOrDefault("blockedUri")} {fields.GetValueOrDefault("sample")}".Trim();
    }
}
