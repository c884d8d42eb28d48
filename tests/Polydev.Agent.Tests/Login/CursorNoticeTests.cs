using System.Text.Json;
using Microsoft.Playwright;
using Polydev.Agent.Login.Cursors;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Testing;

namespace Polydev.Agent.Tests.Login;

/// <summary>
/// The pointer's shape through the real agent: the test page's cursor strip (Chromium draws its cursors from the
/// Adwaita theme here, unnamed), read back with XFixes and sent on the input channel to a chromium viewer.
/// </summary>
[Collection(LoginStreams.Name)]
public sealed class CursorNoticeTests
{
    [Fact]
    public async Task The_viewer_is_told_the_pointers_shape_as_it_moves_over_the_page()
    {
        await using var agent = await LoginAgentProcess.StartAsync("--ice", "all");
        await using var viewer = await BrowserViewer.OpenAsync();
        var opening = new LoginOpening { Width = 640, Height = 480, Codecs = [LoginCodecs.Vp8], StartUrl = LoginTestPage.DataUrl };
        await agent.OpenAsync(opening);
        var offer = await agent.ReceiveAsync();
        if (offer?.Type != LoginSignalTypes.Offer)
        {
            Assert.Fail($"{offer?.Type} {offer?.Reason}: {await agent.StderrSoFarAsync()}");
        }

        await agent.SendAsync(new LoginSignal { Type = LoginSignalTypes.Answer, Sdp = await viewer.AnswerAsync(offer!.Sdp!) });
        using var relay = new CancellationTokenSource();
        var trickle = TrickleAsync(agent, viewer, relay.Token);
        Assert.StartsWith("ok", await viewer.WaitForColourAsync(LoginTestPage.Start));

        // The strip along the page's bottom edge, third by third; then the page's plain background again.
        int y = opening.Height - LoginTestPage.CursorStripHeight / 2;
        for (int third = 0; third < LoginTestPage.StripCursors.Count; third++)
        {
            await viewer.SendInputAsync(new { t = "move", x = opening.Width * (2 * third + 1) / 6, y });
            Assert.Equal(LoginTestPage.StripCursors[third], await NextCursorAsync(viewer, LoginTestPage.StripCursors[third]));
        }

        await viewer.SendInputAsync(new { t = "move", x = opening.Width / 2, y = opening.Height / 2 });
        Assert.Equal(CssCursors.Default, await NextCursorAsync(viewer, CssCursors.Default));

        await agent.SendAsync(new LoginSignal { Type = LoginSignalTypes.End });
        await trickle.WaitAsync(TimeSpan.FromSeconds(15));
        await relay.CancelAsync();
        Assert.Equal(AgentExitReason.Cancelled, agent.Exit?.Reason);
    }

    /// <summary>
    /// The cursor notices until one names <paramref name="expected"/>; what came, in order, when none did. A shape the
    /// pointer passes on its way (another third) may come first.
    /// </summary>
    private static async Task<string> NextCursorAsync(BrowserViewer viewer, string expected)
    {
        var seen = new List<string>();
        while (true)
        {
            string notice = await viewer.NoticeAsync(LoginInputTypes.Cursor);
            if (notice == "none")
            {
                return $"no '{expected}' notice after [{string.Join(", ", seen)}]";
            }

            string css = JsonDocument.Parse(notice).RootElement.GetProperty("cursor").GetString() ?? "";
            if (css == expected)
            {
                return css;
            }

            seen.Add(css);
        }
    }

    /// <summary>Carries ICE candidates both ways, as the server and the web viewer would (as in <see cref="LoginAgentTests"/>).</summary>
    private static Task TrickleAsync(LoginAgentProcess agent, BrowserViewer viewer, CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
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
        }, CancellationToken.None);
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
}
