using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Web;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>
/// Login sessions end to end: a real server with a warm login sandbox (Xvfb, Debian's Chromium and GStreamer in the real
/// login image), the real embedded coturn, and the web client's viewer in Debian's chromium. The sandbox's page paints
/// a known colour, turns green on a click and blue on a key, and keeps typed and pasted text; the test reads the stream
/// and the remote clipboard. Every path: WebRTC relayed over UDP, over TCP only, and the sealed VNC fallback when the
/// viewer cannot reach TURN; and a relay that tampers with the channel in either direction.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class LoginSessionTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task The_viewer_streams_the_remote_page_through_TURN_and_clicks_keys_clipboard_and_resize_reach_it(string transport)
    {
        await using var server = await LoginServer.StartAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        await new WebClient(session.Page).SignUpAsync($"login-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        await LoginServer.WaitForWarmAsync(server);
        var viewer = new LoginViewerPage(session.Page);

        await viewer.OpenNewAsync(LoginTestPage.DataUrl, $"&ice=relay&transport={transport}");
        await viewer.WaitForStreamingAsync("webrtc");
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Start));
        if (transport == "udp")
        {
            await session.ScreenshotAsync("login-viewer");
        }

        await viewer.ClickScreenAsync();
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Clicked));
        await viewer.Video.FocusAsync();
        await session.Page.Keyboard.TypeAsync("hi!");
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Keyed));

        // Clipboard in (the paste box) and out (select all, copy in the remote page: the viewer shows what it copied).
        await session.Page.Locator(".paste-box").FillAsync(" pasté");
        await session.Page.Locator("[data-action=paste]").ClickAsync();
        await viewer.Video.FocusAsync();
        // The remote side puts a paste into the page after the keys that follow it may have been handled (the paste goes
        // through the X clipboard first): a copy can come too early and take "hi!" alone, seen over TCP TURN under load.
        // So the copy is repeated (a few times) until the pasted text is part of it; a lost paste still fails.
        var copied = "";
        for (var attempt = 0; attempt < 4 && copied != "hi! pasté"; attempt++)
        {
            await session.Page.Keyboard.PressAsync("Control+a");
            await session.Page.Keyboard.PressAsync("Control+c");
            copied = await viewer.RemoteClipboardAsync("hi! pasté", timeoutMs: 4_000);
        }

        Assert.Equal("hi! pasté", copied);

        // The remote screen follows the viewer's size.
        var before = await session.Page.Locator(".viewer").GetAttributeAsync("data-remote-size");
        await session.Page.SetViewportSizeAsync(1000, 700);
        await Assertions.Expect(session.Page.Locator(".viewer")).Not.ToHaveAttributeAsync("data-remote-size", before ?? "", new() { Timeout = 15_000 });
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Keyed));

        await Assertions.Expect(session.Page.Locator(".viewer-quality[data-ice=relay]")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await session.Page.Locator("[data-action=end]").ClickAsync();
        Assert.Contains("You ended this session", await viewer.EndingAsync());
        // The end is counted once the sandbox is gone, a moment after the viewer shows it.
        var metrics = await EventuallyAsync(server, "polydev_login_sessions_ended_total{reason=\"ended_by_user\"} 1");
        Assert.Matches("polydev_login_session_paths_total\\{path=\"webrtc\",ice=\"relay\"\\} [1-9]", metrics);
    }

    [Fact]
    public async Task A_viewer_that_cannot_reach_TURN_falls_back_to_the_sealed_VNC_path_and_still_drives_the_page()
    {
        await using var server = await LoginServer.StartAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        await new WebClient(session.Page).SignUpAsync($"login-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        await LoginServer.WaitForWarmAsync(server);

        // The viewer is handed a TURN server nobody answers on; the sandbox keeps the real one.
        await session.Page.RouteAsync("**/api/login-sessions", async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }

            var response = await route.FetchAsync();
            var body = JsonNode.Parse(await response.TextAsync())!;
            body["iceServers"]![0]!["urls"] = new JsonArray("turn:127.0.0.1:9?transport=udp", "turn:127.0.0.1:9?transport=tcp");
            await route.FulfillAsync(new() { Response = response, Body = body.ToJsonString() });
        });
        var viewer = new LoginViewerPage(session.Page);
        await viewer.OpenNewAsync(LoginTestPage.DataUrl, "&ice=relay");
        try
        {
            await viewer.WaitForStreamingAsync("vnc", 90_000);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nserver log:\n{server.Logs}");
        }

        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Start));
        await viewer.ClickScreenAsync(".remote-vnc canvas");
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Clicked));
        await session.ScreenshotAsync("login-viewer-vnc");
        var metrics = await server.GetAsync("/metrics");
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "polydev_login_session_fallbacks_total [1-9]"),
            string.Join('\n', metrics.Split('\n').Where(line => line.Contains("login_session") || line.Contains("report"))));
    }

    [Theory]
    [InlineData("to_viewer")]
    [InlineData("to_sandbox")]
    public async Task A_relay_that_changes_a_session_message_gets_the_session_refused(string direction)
    {
        await using var server = await LoginServer.StartAsync();
        await using var session = await browser.NewSessionAsync(server.Url);
        await new WebClient(session.Page).SignUpAsync($"login-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        await LoginServer.WaitForWarmAsync(server);

        // A server that rewrites the SDP to put its own DTLS fingerprint in: it holds no session key, so it can only edit ciphertext.
        await session.Page.RouteWebSocketAsync("**/channel**", socket =>
        {
            var upstream = socket.ConnectToServer();
            upstream.OnMessage(frame => socket.Send(direction == "to_viewer" ? Tamper(frame.Binary!) : frame.Binary!));
            socket.OnMessage(frame => upstream.Send(direction == "to_sandbox" ? Tamper(frame.Binary!) : frame.Binary!));
        });
        var viewer = new LoginViewerPage(session.Page);
        await viewer.OpenNewAsync(LoginTestPage.DataUrl, "&ice=relay");
        var ending = await viewer.EndingAsync(60_000);
        Assert.Contains(direction == "to_viewer" ? "changed or forged on the way" : "changed on the way. The session was refused", ending);
        Assert.Equal(0, await viewer.Video.EvaluateAsync<int>("v => v.videoWidth"));
    }

    private static async Task<string> EventuallyAsync(ServerProcess server, string line)
    {
        var metrics = "";
        for (var i = 0; i < 100 && !metrics.Contains(line, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            metrics = await server.GetAsync("/metrics");
        }

        Assert.Contains(line, metrics);
        return metrics;
    }

    /// <summary>Flips one bit of the ciphertext, past the clear header.</summary>
    private static byte[] Tamper(byte[] message)
    {
        var changed = (byte[])message.Clone();
        if (changed.Length > 12)
        {
            changed[12] ^= 0x01;
        }

        return changed;
    }
}
