using Polydev.Client.LoginSessions;

namespace Polydev.Client.Tests.LoginSessions;

/// <summary>
/// Issue 15: the link <c>polydev login-sessions start</c> opens holds the session id and nothing else. It is a process
/// argument (every local user sees those) and lands in the browser's history; the session key is made by the viewer.
/// </summary>
public sealed class ViewerAddressTests
{
    private static readonly Guid Id = Guid.Parse("0193a1b2-c3d4-7000-8000-000000000001");

    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/login-sessions/0193a1b2-c3d4-7000-8000-000000000001")]
    [InlineData("https://polydev.example.com", "https://polydev.example.com/login-sessions/0193a1b2-c3d4-7000-8000-000000000001")]
    [InlineData("https://example.com/polydev", "https://example.com/polydev/login-sessions/0193a1b2-c3d4-7000-8000-000000000001")]
    public void The_viewer_page_of_the_session_on_the_server_signed_in_to(string server, string expected) =>
        Assert.Equal(expected, ViewerAddress.For(server, Id).AbsoluteUri);

    [Fact]
    public void The_link_carries_no_query_fragment_or_credentials_only_the_id()
    {
        var link = ViewerAddress.For("https://polydev.example.com", Id);

        Assert.Equal(("", "", ""), (link.Query, link.Fragment, link.UserInfo));
        Assert.Equal($"/login-sessions/{Id:D}", link.AbsolutePath);
    }
}
