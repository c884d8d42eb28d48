using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// A hand-driven TCP connection for what HttpClient and curl will not do: exact bytes,
/// several requests on one connection, garbage, half-closes. Reads HTTP/1.1 responses
/// (Content-Length, chunked, or until close).
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawConnection(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    public static async Task<RawConnection> ConnectAsync(int port, IPAddress? address = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(address ?? IPAddress.Loopback, port));
        return new RawConnection(socket);
    }

    /// <summary><c>Proxy-Authorization: Basic base64(sandbox:TOKEN)</c>.</summary>
    public static string Basic(string token) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("sandbox:" + token));

    public async Task SendAsync(string text) => await SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await Socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads one response; <paramref name="bodyless"/> for answers to HEAD (and CONNECT).</summary>
    public async Task<RawResponse> ReadResponseAsync(bool bodyless = false, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var token = cancel.Token;
        var statusLine = await ReadLineAsync(token) ?? throw new IOException("connection closed before a response");
        var parts = statusLine.Split(' ', 3);
        var status = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        while (true)
        {
            var line = await ReadLineAsync(token) ?? throw new IOException("connection closed inside response headers");
            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var response = new RawResponse(status, parts.Length > 2 ? parts[2] : "", headers, []);
        if (bodyless || status is 204 or 304 || status < 200)
        {
            return response;
        }

        var body = new MemoryStream();
        if (response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(token) ?? throw new IOException("closed inside chunks");
                var size = long.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await ReadLineAsync(token))?.Length > 0)
                    {
                    }

                    break;
                }

                await ReadExactlyAsync(body, size, token);
                await ReadLineAsync(token);
            }
        }
        else if (response.Header("Content-Length") is { } length)
        {
            await ReadExactlyAsync(body, long.Parse(length, CultureInfo.InvariantCulture), token);
        }
        else
        {
            while (await FillAsync(token) > 0)
            {
            }

            body.Write(_buffer, _start, _end - _start);
            _start = _end = 0;
        }

        return response with { Body = body.ToArray() };
    }

    /// <summary>True when the peer closed (end of stream or reset) within <paramref name="timeout"/>; buffered bytes are skipped.</summary>
    public async Task<bool> IsClosedAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                _start = _end = 0;
                if (await FillAsync(cancel.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Reads until the peer closes; returns what came.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var all = new MemoryStream();
        while (true)
        {
            all.Write(_buffer, _start, _end - _start);
            _start = _end = 0;
            if (await FillAsync(cancel.Token) == 0)
            {
                return all.ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        Socket.Dispose();
    }

    private async Task ReadExactlyAsync(MemoryStream into, long count, CancellationToken token)
    {
        while (count > 0)
        {
            if (_end == _start && await FillAsync(token) == 0)
            {
                throw new IOException($"connection closed with {count} body bytes missing");
            }

            var take = (int)Math.Min(count, _end - _start);
            into.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken token)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }

            if (await FillAsync(token) == 0)
            {
                return null;
            }
        }
    }

    private async Task<int> FillAsync(CancellationToken token)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await Socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, token);
        _end += read;
        return read;
    }
}

public sealed record RawResponse(int Status, string Reason, List<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.LastOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}
