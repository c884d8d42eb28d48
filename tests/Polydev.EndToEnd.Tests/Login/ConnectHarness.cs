using System.Diagnostics;
using System.Text;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Web;
using Polydev.Testing;
using Polydev.Testing.SignIn;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>
/// Everything a test of connecting an account needs: the provider's sign-in double, the login image that trusts its CA,
/// a server whose egress sends the provider's hosts to the double, a terminal signed up, and the same account signed in
/// to the web client in Debian's chromium, which is the viewer a user would open.
/// </summary>
internal sealed class ConnectHarness : IAsyncDisposable
{
    private ConnectHarness(SignInStub stub, ServerProcess server, Cli cli, BrowserSession session, string password, string image)
    {
        Image = image;
        Stub = stub;
        Server = server;
        Cli = cli;
        Session = session;
        Password = password;
    }

    public SignInStub Stub { get; }

    public ServerProcess Server { get; }

    public Cli Cli { get; }

    public BrowserSession Session { get; }

    public string Password { get; }

    /// <summary>The login image the server runs (the real one with the double's CA).</summary>
    public string Image { get; }

    /// <summary>The running login sandboxes (containers of <see cref="Image"/>).</summary>
    public async Task<IReadOnlyList<string>> LoginSandboxesAsync() =>
        (await Docker.RunAsync("ps", "-q", "--no-trunc", "--filter", $"ancestor={Image}")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>When the engine destroyed <paramref name="container"/> (Docker's own event), or null when it has not.</summary>
    public static async Task<DateTimeOffset?> DestroyedAtAsync(string container, DateTimeOffset since)
    {
        var nanos = (await Docker.RunAsync("events", "--since", since.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", $"container={container}", "--filter", "event=destroy", "--format", "{{.TimeNano}}")).Trim();
        return long.TryParse(nanos.Split('\n')[0], out var n) ? DateTimeOffset.FromUnixTimeMilliseconds(n / 1_000_000) : null;
    }

    public LoginViewerPage Viewer => new(Session.Page);

    public static async Task<ConnectHarness> StartAsync(SignInStub stub, string provider, BrowserFixture browser, IReadOnlyDictionary<string, string?>? moreSettings = null)
    {
        await stub.StartAsync();
        var image = await SignInLoginImage.EnsureAsync(stub.AuthorityPem);
        var settings = new Dictionary<string, string?>(stub.EgressSettings())
        {
            ["POLYDEV_SANDBOXES__RUNTIMES__login__IMAGE"] = image,
        };
        foreach (var (name, value) in moreSettings ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        var server = await LoginServer.StartAsync(settings, [provider]);
        var cli = new Cli(server.Url);
        var email = $"connect-{Guid.NewGuid():N}@example.com";
        var password = Needles.Canary("password");
        await cli.SignupAsync(email, password);
        var session = await browser.NewSessionAsync(server.Url);
        await new WebClient(session.Page).SignInAsync(email, password);
        await LoginServer.WaitForWarmAsync(server);
        return new ConnectHarness(stub, server, cli, session, password, image);
    }

    /// <summary>Starts <c>polydev credentials login</c> without a browser; returns once it printed the viewer's link.</summary>
    public async Task<CliLogin> StartLoginAsync(string provider, params string[] more)
    {
        var env = new Dictionary<string, string?> { ["POLYDEV_HOME"] = Cli.Home, ["POLYDEV_SERVER"] = Cli.Server, ["POLYDEV_SESSION"] = Cli.Session };
        var login = new CliLogin(Process.Start(PolydevProcess.StartInfo(["credentials", "login", provider, "--no-browser", .. more], env))!);
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (login.ViewerLink(Server.Url) is null)
        {
            if (login.Process.HasExited || DateTime.UtcNow > end)
            {
                await Task.Delay(300);
                throw new Xunit.Sdk.XunitException($"polydev credentials login printed no viewer link: {login.Transcript}");
            }

            await Task.Delay(100);
        }

        return login;
    }

    /// <summary>
    /// The whole terminal flow: <c>credentials login</c>, the viewer opened, the consent clicked through the stream; the
    /// CLI must exit 0. Returns its transcript, and a check (run it when the test is ready) that the session ended
    /// <c>connected</c> and its login sandbox was destroyed within 5 s of that end (Docker's own destroy event).
    /// </summary>
    public async Task<(string Transcript, Func<Task> CheckSandboxGone)> ConnectFromTerminalAsync(string provider, string authorizePath)
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var sandbox = Assert.Single(await LoginSandboxesAsync());
        var login = await StartLoginAsync(provider);
        await OpenViewerAsync(login.ViewerLink(Server.Url)!);
        await ConsentAsync(authorizePath);
        var (code, transcript) = await login.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"{transcript}\n{Server.Logs}\nstub: {string.Join(", ", Stub.Requests.Select(r => r.PathAndQuery))}");
        return (transcript, async () =>
        {
            var ended = (await Cli.RunAsync("login-sessions", "list", "--json")).Succeeded().Json().EnumerateArray().Single();
            Assert.Equal("connected", ended.GetProperty("endReason").GetString());
            var endedAt = ended.GetProperty("endedAt").GetDateTimeOffset();
            var destroyedAt = await DestroyedAtAsync(sandbox, started);
            Assert.True(destroyedAt is { } gone && gone - endedAt < TimeSpan.FromSeconds(5), $"ended {endedAt:O}, destroyed {destroyedAt:O}");
        });
    }

    /// <summary>
    /// Canary: none of <paramref name="tokens"/> (what the double issued) is anywhere the server or the engine keeps
    /// things: every container's <c>docker inspect</c>, <c>/metrics</c>, and, once the server stopped, its logs and its
    /// database's rows and files.
    /// </summary>
    public async Task AssertNoTraceOfAsync(IEnumerable<string> tokens)
    {
        var needles = new Needles();
        foreach (var (token, i) in tokens.Select((t, i) => (t, i)))
        {
            needles.AddText($"token {i}", token);
        }

        needles.AssertAbsentFrom("docker inspect of every container", await Docker.InspectAllContainersAsync());
        needles.AssertAbsentFrom("/metrics", await Server.GetAsync("/metrics"));
        await Server.StopAsync();
        needles.AssertAbsentFrom("the server's logs", Server.Logs);
        var dump = await DatabaseDump.ReadSqliteAsync(Server.SqlitePath);
        needles.AssertAbsentFrom("the database", dump.Text);
        needles.AssertAbsentFrom("the database files", dump.Bytes);
    }

    /// <summary>Opens the viewer's link inside the signed-in web client (as its own links do).</summary>
    public async Task OpenViewerAsync(Uri viewer)
    {
        await Session.Page.EvaluateAsync("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }", viewer.PathAndQuery + viewer.Fragment);
        await Session.Page.Locator("[data-page=login-session]").WaitForAsync();
        // WebRTC, or the sealed VNC path when WebRTC does not connect in time on a loaded machine: a user clicks either.
        await Session.Page.Locator(".viewer-status[data-state=streaming]").WaitForAsync(new() { Timeout = 90_000 });
    }

    /// <summary>Waits until the CLI's login put the consent page in the remote browser, then clicks it through the stream, as a user would.</summary>
    /// <param name="click">False: only wait until the consent page is on the remote screen.</param>
    public async Task ConsentAsync(string authorizePath, TimeSpan? timeout = null, bool click = true)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (!Stub.Requests.Any(r => r.PathAndQuery.Contains(authorizePath, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow >= end)
            {
                var shot = await Session.ScreenshotAsync("connect-no-consent-page");
                Assert.Fail($"The remote browser never asked for {authorizePath} (screenshot {shot}); the double saw: {string.Join(", ", Stub.Requests.Select(r => r.PathAndQuery))}\n{Server.Logs}");
            }

            await Task.Delay(250);
        }

        // The consent page fills the window with one green link; wait until the stream shows it, then click it.
        Assert.StartsWith("ok", await Viewer.WaitForColourAsync("#1a7f37", 30_000));
        if (click)
        {
            var path = await Session.Page.Locator(".viewer-status").GetAttributeAsync("data-path");
            await Viewer.ClickScreenAsync(path == "vnc" ? ".remote-vnc canvas" : "video.remote-video");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        Cli.Dispose();
        await Server.DisposeAsync();
        await Stub.DisposeAsync();
    }
}

/// <summary>A running <c>polydev credentials login</c>: its transcript (stdout and stderr as they come) and its end.</summary>
internal sealed class CliLogin
{
    private readonly StringBuilder _transcript = new();
    private readonly Task _reading;

    public CliLogin(Process process)
    {
        Process = process;
        process.StandardInput.Close();
        _reading = Task.WhenAll(ReadAsync(process.StandardOutput), ReadAsync(process.StandardError));
    }

    public Process Process { get; }

    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.ToString();
            }
        }
    }

    /// <summary>The viewer link the CLI printed (a line starting with the server's URL), once it has.</summary>
    public Uri? ViewerLink(string server) =>
        Transcript.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith(server + "/login-sessions/", StringComparison.Ordinal)) is { } link ? new Uri(link) : null;

    /// <summary>Waits for the CLI's end; its exit code and whole transcript.</summary>
    public async Task<(int ExitCode, string Transcript)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"polydev credentials login did not finish within {timeout.TotalSeconds} s: {Transcript}");
        }

        await _reading.WaitAsync(TimeSpan.FromSeconds(5));
        return (Process.ExitCode, Transcript);
    }

    private async Task ReadAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_transcript)
            {
                _transcript.AppendLine(line);
            }
        }
    }
}
