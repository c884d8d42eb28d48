using System.Text.Json;
using Polydev.Agent.Login.Cursors;
using Polydev.Agent.Login.Desktop;
using Polydev.Agent.Login.Media;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Login;

/// <summary>
/// The session's one loop: every message from the viewer (through the server) and every event of the stream comes
/// through one queue and is handled here in order, so the stream, the injector and the VNC bridge are each used from
/// one place. A once-a-second tick checks the limits; about once a second, too, the viewer's RTCP receiver reports
/// are read from the stream's statistics and the encoder's bitrate follows them (<see cref="BitrateController"/>).
/// </summary>
internal sealed class SessionLoop(LoginSession session, SessionChannel cipher, SessionSender sender, WebRtcStream stream, InputHandler input, RemoteDesktop desktop)
{
    public static readonly object ServerGone = new();

    private readonly BitrateController _bitrate = new(stream.Settings.BitrateKbps);
    private VncBridge? _vnc;
    private long _adapted = Environment.TickCount64;

    /// <summary>The bitrate the stream ended at and the lowest it went to, in kbit/s.</summary>
    public (int Kbps, int LowestKbps) Bitrate => (_bitrate.Kbps, _bitrate.Lowest);

    public async Task<(AgentExitReason Reason, string Words)> RunAsync(CancellationToken cancellationToken)
    {
        var started = Environment.TickCount64;
        try
        {
            while (true)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                tick.CancelAfter(TimeSpan.FromSeconds(1));
                object? next = null;
                try
                {
                    next = await session.Inbox.ReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }

                if (TimeSpan.FromMilliseconds(Environment.TickCount64 - started) >= session.Limits.TimeLimit)
                {
                    return (AgentExitReason.TimeLimit, $"The session reached its time limit ({session.Limits.TimeLimit.TotalMinutes:0.#} minutes).");
                }

                if (session.SinceInput >= session.Limits.IdleLimit)
                {
                    return (AgentExitReason.Idle, $"The session ended after {session.Limits.IdleLimit.TotalMinutes:0.#} minutes without input.");
                }

                if (desktop.BrowserExited)
                {
                    return (AgentExitReason.StreamFailed, "The remote browser closed.");
                }

                // Checked on every turn, not only on the idle tick: a busy input channel must not starve the adaptation.
                if (Environment.TickCount64 - _adapted >= 1000)
                {
                    _adapted = Environment.TickCount64;
                    AdaptBitrate();
                }

                if (next is not null && await HandleAsync(next, cancellationToken) is { } end)
                {
                    return end;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return (AgentExitReason.Cancelled, "The session was ended.");
        }
    }

    public async Task DisposeVncAsync()
    {
        if (_vnc is not null)
        {
            await _vnc.DisposeAsync();
        }
    }

    private async Task<(AgentExitReason, string)?> HandleAsync(object next, CancellationToken cancellationToken)
    {
        switch (next)
        {
            case Connect.AccountLoginEnd login:
                return (login.Reason, login.Words);
            case byte[] sealedMessage:
                return await FromViewerAsync(sealedMessage, cancellationToken);
            case StreamEvent.Offer offer:
                await sender.SignalAsync(new LoginSignal { Type = LoginSignalTypes.Offer, Sdp = offer.Sdp, Codec = stream.Settings.Codec == VideoCodec.H264 ? LoginCodecs.H264 : LoginCodecs.Vp8 });
                return null;
            case StreamEvent.Candidate candidate:
                await sender.SignalAsync(new LoginSignal { Type = LoginSignalTypes.Candidate, Candidate = candidate.Text, MLineIndex = (int)candidate.MLineIndex });
                return null;
            case StreamEvent.InputOpened:
                input.Opened();
                return null;
            case CursorEvent.Changed cursor:
                input.CursorChanged(cursor.Css);
                return null;
            case CursorEvent.Unavailable unavailable:
                await session.Stderr.WriteLineAsync($"polydev-agent: {unavailable.Reason}");
                return null;
            case StreamEvent.InputMessage message:
                session.Touch();
                await input.HandleAsync(message.Text, cancellationToken);
                return null;
            case StreamEvent.Failed failed:
                await session.Stderr.WriteLineAsync($"polydev-agent: {failed.Reason}");
                return _vnc is null ? (AgentExitReason.StreamFailed, "The screen stream failed.") : null;
            default:
                return ReferenceEquals(next, ServerGone) ? (AgentExitReason.Cancelled, "The server ended the session.") : null;
        }
    }

    private void AdaptBitrate()
    {
        if (stream.ReadStatistics()?.Report is { } report && _bitrate.Observe(report) is int kbps)
        {
            stream.SetBitrate(kbps);
        }
    }

    private async Task<(AgentExitReason, string)?> FromViewerAsync(byte[] sealedMessage, CancellationToken cancellationToken)
    {
        byte kind;
        ReadOnlyMemory<byte> payload;
        try
        {
            (kind, payload, _) = cipher.Open(sealedMessage);
        }
        catch (OutputStreamException e)
        {
            // Nothing of a message that fails authentication is trusted, and nothing after it: the session is over.
            await session.Stderr.WriteLineAsync($"polydev-agent: a session message was refused ({e.Failure}); the session ends.");
            return (AgentExitReason.ChannelRefused, "");
        }

        session.Touch();
        if (kind == (byte)LoginMessageKind.Screen)
        {
            if (_vnc is not null)
            {
                await _vnc.WriteAsync(payload);
            }

            return null;
        }

        LoginSignal? signal;
        try
        {
            signal = JsonSerializer.Deserialize(payload.Span, LoginJsonContext.Default.LoginSignal);
        }
        catch (JsonException)
        {
            return null;
        }

        switch (signal?.Type)
        {
            case LoginSignalTypes.Answer when signal.Sdp is { } sdp:
                try
                {
                    stream.SetAnswer(sdp);
                }
                catch (FormatException)
                {
                    return (AgentExitReason.StreamFailed, "The viewer's answer was not valid SDP.");
                }

                return null;
            case LoginSignalTypes.Candidate when signal.Candidate is { Length: > 0 } candidate:
                stream.AddRemoteCandidate((uint)(signal.MLineIndex ?? 0), candidate);
                return null;
            case LoginSignalTypes.Fallback when _vnc is null:
                _vnc = await VncBridge.StartAsync(desktop.Display, desktop.Width, desktop.Height, sender, cancellationToken);
                return null;
            case LoginSignalTypes.End:
                return (AgentExitReason.Cancelled, "The viewer ended the session.");
            default:
                return null;
        }
    }
}
