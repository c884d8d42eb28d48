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
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toViewer = ToViewerAsync(socket, session, stop.Token);
        var toSandbox = ToSandboxAsync(socket, session, stop.Token);
        await Task.WhenAny(toViewer, toSandbox, session.Ended);
        await stop.CancelAsync();
        await Task.WhenAll(Quietly(toViewer), Quietly(toSandbox));
        if (socket.State == WebSocketState.Open)
        {
            string reason = session.Ended.IsCompleted ? session.Ended.Result : "viewer_detached";
            try
            {
                await socket.CloseAsync(SessionEnded, reason, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
            {
            }
        }

        LoginSessionLog.Channel(logger, session.Id, "detached");
    }

    private async Task ToViewerAsync(WebSocket socket, LiveLoginSession session, CancellationToken cancellationToken)
    {
        await foreach (byte[] message in session.Sandbox.Agent.Signals.FromAgent.ReadAllAsync(cancellationToken))
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            metrics.ChannelBytes.WithLabels("to_viewer").Inc(message.Length);
        }

        // The agent's side closed after its last (end) message: let the viewer read it before the socket closes.
        await session.Ended.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
    }

    private async Task ToSandboxAsync(WebSocket socket, LiveLoginSession session, CancellationToken cancellationToken)
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
                    await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"A session message is at most {buffer.Length} bytes.", cancellationToken);
                    return;
                }

                received = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += received.Count;
            }
            while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (received.MessageType != WebSocketMessageType.Binary || length == 0)
            {
                await socket.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Session messages are binary.", cancellationToken);
                return;
            }

            await session.Sandbox.Agent.Signals.SendAsync(buffer.AsMemory(0, length), cancellationToken);
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
