using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Http;

/// <summary>
/// Issue 13, finding 11: a JSON body whose Content-Type names an unknown charset got 500 from every operation that
/// reads one. Now each such request gets a 415 problem, on every such operation the OpenAPI document lists.
/// </summary>
public sealed class JsonCharsetTests
{
    public static TheoryData<string> Refused => new()
    {
        "application/json; charset=bogus", "application/json; charset=utf-7", "application/json; charset=", "application/json; charset=\"\"",
        "application/json; charset=utf-16", "application/json; charset=iso-8859-1", "application/json; charset=utf-8; charset=bogus",
        "application/problem+json; charset=bogus",
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Every_operation_that_reads_json_refuses_a_charset_other_than_utf8_with_a_415_problem(string contentType)
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        var document = JsonNode.Parse(await server.Client.GetStringAsync("/openapi/v1.json"))!;
        var operations = (from path in document["paths"]!.AsObject()
                          from operation in path.Value!.AsObject()
                          where operation.Value?["requestBody"] is not null
                          select (Method: operation.Key.ToUpperInvariant(), Path: System.Text.RegularExpressions.Regex.Replace(path.Key, @"\{[^}]+\}", Guid.NewGuid().ToString()))).ToList();
        Assert.True(operations.Count >= 18, $"Only {operations.Count} operations read a JSON body.");

        foreach (var (method, path) in operations)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent("{}"u8.ToArray()) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{method} {path} with '{contentType}': {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("UTF-8", JsonNode.Parse(body)!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    public async Task Utf8_and_no_charset_are_read(string contentType)
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = TestAccount.Create();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/prelogin")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"email":"{{account.Email}}"}""")),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
