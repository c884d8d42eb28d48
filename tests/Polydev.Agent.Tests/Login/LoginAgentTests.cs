using System.Text.Json;
using Microsoft.Playwright;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Testing;

namespace Polydev.Agent.Tests.Login;

/// <summary>
/// The login agent on this host (Xvfb, Debian's chromium, GStreamer) with a real chromium as the viewer: the stream
/// arrives, input reaches the page, the clipboard works both ways, resize changes the stream, and a tampered signal
/// ends the session. ICE runs over loopback host candidates here (<c>--ice all</c>); TURN is tested end to end.
/// </summary>
public sealed class LoginAgentTests
{
    private static LoginOpening Opening(string codec = LoginCodecs.Vp8) => new()
    {
        Width = 640,
        Height = 480,
        Codecs = [codec],
        StartUrl = LoginTestPage.DataUrl,
    };

    [Theory]
    [InlineData(LoginCodecs.Vp8)]
    [InlineData(LoginCodecs.H264)]
    public async Task The_viewer_sees_the_page_and_its_clicks_keys_clipboard_and_resize_reach_it(string codec)
    {
        await using var agent = await LoginAgentProcess.StartAsync("--ice", "all");
        await using var viewer = await BrowserViewer.OpenAsync();
        await agent.OpenAsync(Opening(codec));

        var offer = await agent.ReceiveAsync();
        if (offer?.Type != LoginSignalTypes.Offer)
        {
            Assert.Fail($"{offer?.Type} {offer?.Reason}: {await agent.StderrSoFarAsync()}");
        }

        Assert.Equal(codec, offer!.Codec);
        string answer = await viewer.AnswerAsync(offer.Sdp!);
        await agent.SendAsync(new LoginSignal { Type = LoginSignalTypes.Answer, Sdp = answer });
        using var relay = new CancellationTokenSource();
        var trickle = TrickleAsync(agent, viewer, relay.Token);

        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Start));
        Assert.Contains("\"width\":640", await viewer.NoticeAsync(LoginInputTypes.Size));

        await viewer.SendInputAsync(new { t = "button", x = 300, y = 300, button = 1, down = true });
        await viewer.SendInputAsync(new { t = "button", x = 300, y = 300, button = 1, down = false });
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Clicked));

        // "!" once with the Shift that made it and once without (as a browser's synthesised key comes): both are "!".
        foreach (var (c, withShift) in new[] { ('h', false), ('i', false), ('!', true), ('!', false) })
        {
            if (withShift)
            {
                await viewer.SendInputAsync(new { t = "key", key = "Shift", code = "ShiftLeft", down = true });
            }

            await viewer.SendInputAsync(new { t = "key", key = c.ToString(), code = "", down = true });
            await viewer.SendInputAsync(new { t = "key", key = c.ToString(), code = "", down = false });
            if (withShift)
            {
                await viewer.SendInputAsync(new { t = "key", key = "Shift", code = "ShiftLeft", down = false });
            }
        }

        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Keyed));
        await viewer.SendInputAsync(new { t = "paste", text = " pasté" });
        await SelectAllAndCopyAsync(viewer);
        Assert.Equal("hi!! pasté", ClipboardText(await viewer.NoticeAsync(LoginInputTypes.Clipboard)));

        await viewer.SendInputAsync(new { t = "resize", width = 800, height = 600 });
        Assert.Contains("\"width\":800", await viewer.NoticeAsync(LoginInputTypes.Size));
        Assert.Equal("800x600", await viewer.WaitForSizeAsync(800, 600));
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Keyed));

        await agent.SendAsync(new LoginSignal { Type = LoginSignalTypes.End });
        await trickle.WaitAsync(TimeSpan.FromSeconds(15));
        await relay.CancelAsync();
        Assert.Equal(AgentExitReason.Cancelled, agent.Exit?.Reason);
    }

    [Fact]
    public async Task The_fallback_carries_x11vncs_RFB_stream_inside_the_sealed_channel_both_ways()
    {
        await using var agent = await LoginAgentProcess.StartAsync("--ice", "all");
        await agent.OpenAsync(Opening());
        Assert.Equal(LoginSignalTypes.Offer, (await agent.ReceiveAsync())?.Type);

        await agent.SendAsync(new LoginSignal { Type = LoginSignalTypes.Fallback });
        var banner = await agent.ReceiveScreenAsync(TimeSpan.FromSeconds(20));
        Assert.StartsWith("RFB 003.", System.Text.Encoding.ASCII.GetString(banner ?? []));

        // The viewer's side of the handshake goes back the same way: x11vnc answers with its security types.
        await agent.SendScreenAsync(System.Text.Encoding.ASCII.GetBytes("RFB 003.008\n"));
        var security = await agent.ReceiveScreenAsync(TimeSpan.FromSeconds(10));
        Assert.True(security is { Length: > 1 } && security[0] > 0, "x11vnc offered no security type");
    }

    [Fact]
    public async Task A_modified_signal_ends_the_session_as_refused()
    {
        await using var agent = await LoginAgentProcess.StartAsync("--ice", "all");
        await agent.OpenAsync(Opening());
        var offer = await agent.ReceiveAsync();
        Assert.Equal(LoginSignalTypes.Offer, offer?.Type);

        // A relay rewriting the answer's DTLS fingerprint to put itself in the middle: it cannot re-seal, so it edits the ciphertext.
        byte[] sealedAnswer = agent.Viewer.Seal((byte)LoginMessageKind.Signal,
            JsonSerializer.SerializeToUtf8Bytes(new LoginSignal { Type = LoginSignalTypes.Answer, Sdp = "v=0\r\na=fingerprint:sha-256 AA:BB\r\n" }, LoginJsonContext.Default.LoginSignal));
        sealedAnswer[^20] ^= 0x01;
        await agent.SendRawAsync(sealedAnswer);

        var exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(AgentExitReason.ChannelRefused, exit?.Reason);
        Assert.Contains("refused (Authentication)", await agent.Stderr);
    }

    [Fact]
    public async Task An_opening_sealed_to_another_key_is_refused()
    {
        await using var agent = await LoginAgentProcess.StartAsync();
        var other = Polydev.Crypto.UserKeyPair.Generate();
        var opening = Opening();
        opening.SessionKey = new byte[32];
        byte[] sealedElsewhere = Polydev.Crypto.SealedBox.Seal(other.PublicKey, JsonSerializer.SerializeToUtf8Bytes(opening, LoginJsonContext.Default.LoginOpening), LoginOpening.SealedPurpose);
        await agent.SendRawJobAsync(sealedElsewhere);
        Assert.Equal(AgentExitReason.JobRefused, (await agent.WaitForExitAsync(TimeSpan.FromSeconds(15)))?.Reason);
    }

    [Fact]
    public async Task A_session_without_input_ends_at_the_idle_limit()
    {
        await using var agent = await LoginAgentProcess.StartAsync("--ice", "all", "--idle-s", "3");
        await agent.OpenAsync(Opening());
        LoginSignal? last = null;
        while (await agent.ReceiveAsync(TimeSpan.FromSeconds(30)) is { } signal)
        {
            last = signal;
        }

        Assert.Equal(AgentExitReason.Idle, agent.Exit?.Reason);
        Assert.Equal(LoginSignalTypes.End, last?.Type);
        Assert.Contains("without input", last!.Reason);
    }

    private static async Task SelectAllAndCopyAsync(BrowserViewer viewer)
    {
        await viewer.SendInputAsync(new { t = "key", key = "Control", code = "ControlLeft", down = true });
        await viewer.SendInputAsync(new { t = "key", key = "a", code = "KeyA", down = true });
        await viewer.SendInputAsync(new { t = "key", key = "a", code = "KeyA", down = false });
        await viewer.SendInputAsync(new { t = "key", key = "c", code = "KeyC", down = true });
        await viewer.SendInputAsync(new { t = "key", key = "c", code = "KeyC", down = false });
        await viewer.SendInputAsync(new { t = "key", key = "Control", code = "ControlLeft", down = false });
    }

    private static string? ClipboardText(string notice) =>
        notice == "none" ? notice : JsonDocument.Parse(notice).RootElement.GetProperty("text").GetString();

    /// <summary>
    /// Carries ICE candidates both ways, as the server and the web viewer would: the agent's until it exits (the task
    /// ends then), the viewer's until cancelled.
    /// </summary>
    private static Task TrickleAsync(LoginAgentProcess agent, BrowserViewer viewer, CancellationToken cancellationToken)
    {
        _ = Task.Run(() => ViewerCandidatesAsync(agent, viewer, cancellationToken), CancellationToken.None);
        return Task.Run(async () =>
        {
            while (await agent.ReceiveAsync(TimeSpan.FromMinutes(2)) is { } signal)
            {
                if (signal.Type == LoginSignalTypes.Candidate)
                {
                    await viewer.AddCandidateAsync(signal.Candidate!, signal.MLineIndex ?? 0);
                }
            }
        }, CancellationToken.None);
    }

    private static async Task ViewerCandidatesAsync(LoginAgentProcess agent, BrowserViewer viewer, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var (candidate, m) in await viewer.TakeCandidatesAsync())
                {
                    await agent.SendAsync(new LoginSignal { Type = LoginSignalTypes.Candidate, Candidate = candidate, MLineIndex = m });
                }

                await Task.Delay(100, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or PlaywrightException or IOException)
        {
        }
    }
}
