using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.Nomad;

internal sealed partial class NomadApi
{
    private const int ChunkSize = 16 * 1024;

    /// <summary>
    /// <c>/v1/client/allocation/:id/exec</c>: Nomad upgrades first and reports every error (ACL, unknown allocation,
    /// task not running, no command) as a close frame with the message: 1011 for internal (500) errors and an ACL
    /// refusal, 1008 for the rest. The process is <c>docker exec -i</c> in the task's container, as the task's user.
    /// </summary>
    private async Task Exec(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Error(context, 400, "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
            return;
        }

        var refusal = Refusal(context.Request, NomadCapability.AllocExec);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        if (refusal is not null)
        {
            await CloseAsync(socket, WebSocketCloseStatus.InternalServerError, refusal);
            return;
        }

        var allocId = (string)context.Request.RouteValues["id"]!;
        var task = context.Request.Query["task"].ToString();
        List<string>? command;
        try
        {
            command = JsonSerializer.Deserialize<List<string>>(context.Request.Query["command"].ToString() is { Length: > 0 } c ? c : "null");
        }
        catch (JsonException e)
        {
            await CloseAsync(socket, WebSocketCloseStatus.InternalServerError, $"failed to marshal command into json: {e.Message}");
            return;
        }

        var (container, code, error) = client.ExecTarget(allocId, task);
        if (error is null && (command is null || command.Count == 0))
        {
            (code, error) = (400, "command is not present");
        }

        if (error is not null)
        {
            await CloseAsync(socket, code == 500 ? WebSocketCloseStatus.InternalServerError : WebSocketCloseStatus.PolicyViolation, error);
            return;
        }

        var start = new ProcessStartInfo("docker")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["exec", "-i", container!, .. command!])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var sendGate = new SemaphoreSlim(1, 1);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);

        async Task Send(JsonObject frame)
        {
            var bytes = Encoding.UTF8.GetBytes(frame.ToJsonString());
            await sendGate.WaitAsync(cancel.Token);
            try
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, true, cancel.Token);
            }
            finally
            {
                sendGate.Release();
            }
        }

        async Task Pump(Stream stream, string name)
        {
            var buffer = new byte[ChunkSize];
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cancel.Token);
                if (n == 0)
                {
                    break;
                }

                await Send(new JsonObject { [name] = new JsonObject { ["data"] = Convert.ToBase64String(buffer, 0, n) } });
            }

            await Send(new JsonObject { [name] = new JsonObject { ["close"] = true } });
        }

        async Task Input()
        {
            var stdin = process.StandardInput.BaseStream;
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            var stdinOpen = true;
            while (!cancel.IsCancellationRequested)
            {
                message.SetLength(0);
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancel.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                JsonNode? frame;
                try
                {
                    frame = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length));
                }
                catch (JsonException)
                {
                    continue;
                }

                if (frame?["stdin"] is JsonObject input && stdinOpen)
                {
                    if ((string?)input["data"] is { Length: > 0 } data)
                    {
                        try
                        {
                            await stdin.WriteAsync(Convert.FromBase64String(data), cancel.Token);
                            await stdin.FlushAsync(cancel.Token);
                        }
                        catch (IOException)
                        {
                            stdinOpen = false;
                        }
                    }

                    if ((bool?)input["close"] == true)
                    {
                        stdinOpen = false;
                        try
                        {
                            stdin.Close();
                        }
                        catch (IOException)
                        {
                        }
                    }
                }
            }
        }

        var input = Task.Run(Input);
        try
        {
            var stdout = Pump(process.StandardOutput.BaseStream, "stdout");
            var stderr = Pump(process.StandardError.BaseStream, "stderr");
            await Task.WhenAll(stdout, stderr);
            await process.WaitForExitAsync(cancel.Token);
            await Send(new JsonObject { ["exited"] = true, ["result"] = new JsonObject { ["exit_code"] = process.ExitCode } });
            await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, "");

            // Wait for the client's close (the input loop ends on it): closing the connection under unread frames
            // would reset it and could lose the exit frame on the way.
            await Task.WhenAny(input, Task.Delay(TimeSpan.FromSeconds(5), cancel.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            await cancel.CancelAsync();
            if (!process.HasExited)
            {
                // The client went away: Nomad's driver ends the exec session; the process itself may linger in Docker.
                process.Kill(entireProcessTree: true);
            }

            try
            {
                await input;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string message)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.CloseOutputAsync(status, message, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// <c>/v1/event/stream</c>: newline-delimited JSON, one object per raft index with its events, a <c>{}</c>
    /// heartbeat every 10 s. Topics <c>Topic</c>, <c>Topic:Key</c> (key or filter key), <c>*</c>.
    /// </summary>
    private async Task EventStream(HttpContext context)
    {
        var topics = context.Request.Query["topic"].Select(t => t ?? "").Where(t => t != "").ToList();
        var needs = NomadCapability.ReadJob;
        if (topics.Count == 0 || topics.Any(t => t.StartsWith("Node", StringComparison.Ordinal) || t.StartsWith('*')))
        {
            needs |= NomadCapability.NodeRead;
        }

        if (Refusal(context.Request, needs) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var filters = (topics.Count == 0 ? ["*"] : topics).Select(t =>
        {
            var colon = t.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (Topic: t, Key: "*") : (Topic: t[..colon], Key: t[(colon + 1)..]);
        }).ToList();
        var ns = Namespace(context.Request);
        _ = ulong.TryParse(context.Request.Query["index"].ToString(), out var after);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        lock (cluster.Gate)
        {
            Meta(context.Response, cluster.Index);
            if (after == 0)
            {
                after = cluster.Index;
            }
        }

        await context.Response.StartAsync();
        var heartbeat = DateTimeOffset.UtcNow + cluster.Options.EventStreamHeartbeat;
        var aborted = context.RequestAborted;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                List<StreamEvent> events;
                Task changed;
                lock (cluster.Gate)
                {
                    events = cluster.EventsAfter(after);
                    changed = cluster.Changed;
                    if (events.Count > 0)
                    {
                        after = events[^1].Index;
                    }
                }

                foreach (var batch in events.Where(e => Matches(e, filters, ns)).GroupBy(e => e.Index))
                {
                    var line = new JsonObject { ["Index"] = batch.Key, ["Events"] = new JsonArray([.. batch.Select(e => (JsonNode)e.Json())]) };
                    await context.Response.WriteAsync(line.ToJsonString() + "\n", aborted);
                    await context.Response.Body.FlushAsync(aborted);
                }

                var untilHeartbeat = heartbeat - DateTimeOffset.UtcNow;
                if (untilHeartbeat <= TimeSpan.Zero)
                {
                    await context.Response.WriteAsync("{}\n", aborted);
                    await context.Response.Body.FlushAsync(aborted);
                    heartbeat = DateTimeOffset.UtcNow + cluster.Options.EventStreamHeartbeat;
                    continue;
                }

                try
                {
                    await changed.WaitAsync(untilHeartbeat, aborted);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool Matches(StreamEvent e, List<(string Topic, string Key)> filters, string ns)
    {
        if (ns != "*" && e.Namespace != "" && e.Namespace != ns)
        {
            return false;
        }

        return filters.Any(f => (f.Topic == "*" || f.Topic == e.Topic) && (f.Key == "*" || f.Key == e.Key || e.FilterKeys.Contains(f.Key)));
    }
}
