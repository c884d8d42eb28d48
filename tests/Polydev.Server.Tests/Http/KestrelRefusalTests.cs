using System.Net;
using System.Net.Sockets;
using System.Text;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Http;

/// <summary>
/// Issue 13, finding 11, second half: requests Kestrel refuses while parsing, before the application runs. Kestrel
/// writes those answers itself (status line, <c>Content-Length: 0</c>, connection closed) and offers no hook to give
/// them a body, so they cannot be problem responses (docs/security.md); what can be held is that each is a 4xx that
/// closes the connection, and that what does reach the application — an escaped byte that is not UTF-8 — is a problem.
/// </summary>
public sealed class KestrelRefusalTests
{
    public static TheoryData<string, byte[], int> Refused => new()
    {
        { "raw non-ASCII bytes in the path", [.. "GET /api/vault/chats/"u8, 0xFF, 0xFE, .. " HTTP/1.1\r\nHost: x\r\n\r\n"u8], 400 },
        { "an escaped NUL in the path", "GET /api/vault/chats/%00 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), 400 },
        { "a raw NUL in the path", [.. "GET /api/vault/chats/"u8, 0x00, .. " HTTP/1.1\r\nHost: x\r\n\r\n"u8], 400 },
        { "a 20 KB path", Encoding.ASCII.GetBytes($"GET /api/{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"), 414 },
        { "a non-ASCII Authorization header", [.. "GET /api/vault/chats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "u8, 0xFF, .. "\r\n\r\n"u8], 400 },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Requests_refused_before_the_application_runs_are_4xx_and_close_the_connection(string what, byte[] request, int status)
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var reply = await SendRawAsync(server, request);
        Assert.True(reply.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{what}: {reply}");
        Assert.Contains("Connection: close", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_escaped_byte_that_is_not_utf8_reaches_the_application_and_gets_a_problem()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var reply = await SendRawAsync(server, "GET /api/vault/chats/%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 404 ", reply, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", reply, StringComparison.Ordinal);
    }

    private static async Task<string> SendRawAsync(RunningServer server, byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        using var reply = new MemoryStream();
        try
        {
            await stream.CopyToAsync(reply).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (IOException)
        {
            // Kestrel may reset the connection once it has answered; the answer is what counts.
        }

        return Encoding.Latin1.GetString(reply.ToArray());
    }
}
