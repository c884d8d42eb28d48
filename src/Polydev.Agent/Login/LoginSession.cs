using System.Text.Json;
using System.Threading.Channels;
using Polydev.Agent.Login.Connect;
using Polydev.Agent.Login.Cursors;
using Polydev.Agent.Login.Desktop;
using Polydev.Agent.Login.Input;
using Polydev.Agent.Login.Media;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Login;

/// <summary>
/// One login session, after the viewer's opening was opened: the desktop, the stream and the session channel, until the
/// viewer ends it, the server cancels it, a limit is reached, or the channel fails authentication. Everything the
/// session says to the viewer is sealed under the session key; the last thing is an <c>end</c> signal with the reason.
/// </summary>
internal sealed class LoginSession(LoginOpening opening, AgentChannel channel, LoginLimits limits, DesktopSettings settings, TextWriter stderr)
{
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>();
    private long _lastInput = Environment.TickCount64;

    public async Task<AgentExitReason> RunAsync()
    {
        using var cipher = SessionChannel.ForSandbox(opening.SessionKey);
        var sender = new SessionSender(cipher, channel);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(channel.CancelRequested);
        RemoteDesktop desktop;
        WebRtcStream stream;
        ProviderLogin? login = opening.Connect is { } connect ? ProviderLogin.For(connect.Provider) : null;
        if (opening.Connect is not null && login is null)
        {
            await sender.SignalAsync(new LoginSignal { Type = LoginSignalTypes.End, Reason = "This provider has no login Polydev can run." });
            return AgentExitReason.JobRefused;
        }

        await using EgressForwarder? egress = opening.ProxyUrl is { } proxyUrl ? EgressForwarder.Start(proxyUrl) : null;
        try
        {
            LocalAuthorities.TrustInBrowser(settings.Home, stderr);
            desktop = await RemoteDesktop.StartAsync(settings, opening.Width, opening.Height, opening.StartUrl ?? (login is null ? null : ConnectEnvironment.WaitingPage(login)), egress?.Address, stop.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            await stderr.WriteLineAsync($"polydev-agent: the login desktop did not start: {e.Message}");
            await sender.SignalAsync(new LoginSignal { Type = LoginSignalTypes.End, Reason = "The remote browser could not start." });
            return AgentExitReason.StreamFailed;
        }

        await using (desktop)
        {
            try
            {
                stream = WebRtcStream.Start(new StreamSettings(desktop.Display, desktop.Width, desktop.Height, 30, ChooseCodec(), 2500,
                    TurnUris.From(opening.IceServers), limits.RelayOnly));
            }
            catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or EntryPointNotFoundException)
            {
                await stderr.WriteLineAsync($"polydev-agent: the login stream did not start: {e.Message}");
                await sender.SignalAsync(new LoginSignal { Type = LoginSignalTypes.End, Reason = "The screen stream could not start." });
                return AgentExitReason.StreamFailed;
            }

            using (stream)
            using (var injector = InputInjector.Open(desktop.Display))
            using (var cursor = CursorWatcher.Start(desktop.Display))
            {
                var input = new InputHandler(desktop, settings, injector, new Clipboard(desktop.Display), stream);
                var session = new SessionLoop(this, cipher, sender, stream, input, desktop);
                if (login is not null)
                {
                    var environment = ConnectEnvironment.For(settings, desktop.Display, egress?.Address);
                    _ = new AccountLogin(opening.Connect!, login, settings.Home, stderr).RunAsync(environment, channel, end => _inbox.Writer.TryWrite(end), stop.Token);
                }

                // The server's side closing is the end of the session too; the stream's and the cursor's end are not.
                _ = PumpAsync(channel.Signals, SessionLoop.ServerGone, stop.Token);
                _ = PumpAsync(stream.Events, null, stop.Token);
                _ = PumpAsync(cursor.Events, null, stop.Token);
                var (reason, words) = await session.RunAsync(stop.Token);
                await stop.CancelAsync();
                await session.DisposeVncAsync();
                // Numbers only: whether the bitrate had to come down, for whoever reads the sandbox's log.
                var (kbps, lowest) = session.Bitrate;
                await stderr.WriteLineAsync($"polydev-agent: the stream ended at {kbps} kbit/s (lowest {lowest} kbit/s).");
                if (reason != AgentExitReason.ChannelRefused)
                {
                    await sender.SignalAsync(new LoginSignal { Type = LoginSignalTypes.End, Reason = words });
                }

                return reason;
            }
        }
    }

    internal ChannelReader<object> Inbox => _inbox.Reader;

    internal LoginLimits Limits => limits;

    internal TextWriter Stderr => stderr;

    internal void Touch() => Interlocked.Exchange(ref _lastInput, Environment.TickCount64);

    internal TimeSpan SinceInput => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastInput));

    private VideoCodec ChooseCodec()
    {
        string? forced = Environment.GetEnvironmentVariable("POLYDEV_LOGIN_CODEC");
        // H.264 unless the viewer decodes only VP8: it measured lower latency and CPU here (docs/benchmarks.md).
        foreach (string codec in forced is { Length: > 0 } ? [forced] : opening.Codecs.Count > 0 ? opening.Codecs : [LoginCodecs.H264])
        {
            if (codec == LoginCodecs.Vp8)
            {
                return VideoCodec.Vp8;
            }

            if (codec == LoginCodecs.H264)
            {
                return VideoCodec.H264;
            }
        }

        return VideoCodec.H264;
    }

    /// <summary>Moves one source into the session's one queue; <paramref name="atEnd"/>, when given, follows its last item.</summary>
    private async Task PumpAsync<T>(ChannelReader<T> source, object? atEnd, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await foreach (T item in source.ReadAllAsync(cancellationToken))
            {
                await _inbox.Writer.WriteAsync(item, cancellationToken);
            }

            if (atEnd is not null)
            {
                _inbox.Writer.TryWrite(atEnd);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>The TURN servers of the opening as webrtcbin takes them: one URI each, credentials escaped into it.</summary>
internal static class TurnUris
{
    public static List<string> From(IEnumerable<LoginIceServer> servers)
    {
        var uris = new List<string>();
        foreach (var server in servers)
        {
            foreach (string url in server.Urls)
            {
                // turn:host:port?transport=udp → turn://user:pass@host:port?transport=udp (user "expiry:id" escaped).
                if ((url.StartsWith("turn:", StringComparison.Ordinal) || url.StartsWith("turns:", StringComparison.Ordinal)) && server.Username is { } user && server.Credential is { } password)
                {
                    int colon = url.IndexOf(':');
                    uris.Add($"{url[..colon]}://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@{url[(colon + 1)..].TrimStart('/')}");
                }
            }
        }

        return uris;
    }
}
