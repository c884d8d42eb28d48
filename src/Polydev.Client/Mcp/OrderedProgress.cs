using System.Threading.Channels;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Polydev.Client.Mcp;

/// <summary>
/// Progress notifications sent one after another, each awaited, and all of them before the tool's result: the SDK's
/// own <see cref="IProgress{T}"/> sends each report on its own, so reports made in a rising order could reach the
/// client out of it (MCP requires the progress value to rise) or after the result. Nothing is sent when the client
/// asked for no progress (no token in the request).
/// </summary>
internal sealed class OrderedProgress : IProgress<ProgressNotificationValue>
{
    private readonly Channel<ProgressNotificationValue> _pending = Channel.CreateUnbounded<ProgressNotificationValue>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _sending;

    public OrderedProgress(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        if (request.Params?.ProgressToken is { } token)
        {
            _sending = SendAsync(request.Server, token, cancellationToken);
        }
        else
        {
            _pending.Writer.TryComplete();
            _sending = Task.CompletedTask;
        }
    }

    /// <summary>Queues <paramref name="value"/>; dropped when the client asked for no progress.</summary>
    public void Report(ProgressNotificationValue value) => _pending.Writer.TryWrite(value);

    /// <summary>Sends what was reported and returns when it has gone; a client that went away only loses its progress.</summary>
    public async Task FlushAsync()
    {
        _pending.Writer.TryComplete();
        try
        {
            await _sending;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task SendAsync(McpServer server, ProgressToken token, CancellationToken cancellationToken)
    {
        await foreach (var value in _pending.Reader.ReadAllAsync(CancellationToken.None))
        {
            await server.NotifyProgressAsync(token, value, cancellationToken: cancellationToken);
        }
    }
}
