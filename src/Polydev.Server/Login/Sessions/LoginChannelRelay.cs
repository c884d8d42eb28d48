using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Polydev.Agent.Protocol;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// The session channel between the viewer's WebSocket and the login agent: every binary message is one sealed session
/// message (docs/login-sessions.md), passed on unopened in both directions. The server cannot read or forge them; what
/// it sees is their sizes. When the session ends the socket closes with the end's reason as its description.
/// </summary>
public sealed class LoginChannelRelay(LoginSessionMetrics metrics, ILogger<LoginChannelRelay> logger)
{
    /// <summary>WebSocket close status for an ended session; the description is the end reason.</summary>
    public const WebSocketCloseStatus SessionEnded = WebSocketCloseStatus.NormalClosure;

    public async Task RunAsync(WebSocket socket, LiveLoginSession session, CancellationToken cancellationToken)
    {
        LoginSessionLog.Channel(logger, session.Id, "attached");
        // Cancelling a WebSocket's send or receive aborts the socket without a close frame, and the viewer would never
        // learn why its session ended: only the wait for the agent's messages is cancelled, the socket is closed.
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toViewer = ToViewerAsync(socket, session, stopReading.Token);
        var toSandbox = ToSandboxAsync(socket, session);
        await Task.WhenAny(toViewer, toSandbox, session.Ended, Task.Delay(Timeout.Infinite, cancellationToken));

        // Let the agent's last messages (its sealed end signal) reach the viewer before the close; when the agent's side
        // ended, the session's end (and its reason, the close's description) is being recorded at this moment: wait for it.
        await Quietly(toViewer.WaitAsync(TimeSpan.FromSeconds(3)));
        if (toViewer.IsCompleted)
        {
            await Quietly(session.Ended.WaitAsync(TimeSpan.FromSeconds(5)));
        }

        await stopReading.CancelAsync();
        await Quietly(toViewer);
        if (socket.State == WebSocketState.Open)
        {
            string reason = session.Ended.IsCompleted ? session.Ended.Result : "viewer_detached";
            await Quietly(socket.CloseOutputAsync(SessionEnded, reason, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
        }

        await Quietly(toSandbox.WaitAsync(TimeSpan.FromSeconds(5)));
        if (socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            socket.Abort();
        }

        LoginSessionLog.Channel(logger, session.Id, "detached");
    }

    private async Task ToViewerAsync(WebSocket socket, LiveLoginSession session, CancellationToken stopReading)
    {
        var fromAgent = session.Sandbox.Agent.Signals.FromAgent;
        while (await fromAgent.WaitToReadAsync(stopReading))
        {
            while (fromAgent.TryRead(out byte[]? message))
            {
                await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
                metrics.ChannelBytes.WithLabels("to_viewer").Inc(message.Length);
            }
        }
    }

    private async Task ToSandboxAsync(WebSocket socket, LiveLoginSession session)
    {
        var buffer = new byte[AgentProtocol.MaxOutputLength];
        while (true)
        {
            int length = 0;
            ValueWebSocketReceiveResult received;
            do
            {
                if (length == buffer.Length)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, $"A session message is at most {buffer.Length} bytes.", CancellationToken.None);
                    return;
                }

                received = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                length += received.Count;
            }
            while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (received.MessageType != WebSocketMessageType.Binary || length == 0)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.InvalidMessageType, "Session messages are binary.", CancellationToken.None);
                return;
            }

            if (session.Ended.IsCompleted)
            {
                continue;
            }

            await session.Sandbox.Agent.Signals.SendAsync(buffer.AsMemory(0, length), CancellationToken.None);
            metrics.ChannelBytes.WithLabels("to_sandbox").Inc(length);
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException or TimeoutException or Sandboxes.SandboxEngineException)
        {
        }
    }
}
