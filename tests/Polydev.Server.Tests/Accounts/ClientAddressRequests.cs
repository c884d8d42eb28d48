using System.Net.Http.Json;
using Polydev.Contracts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Requests as if from another client: the test server trusts its loopback as a reverse proxy
/// (<c>TrustedProxies</c>), so <c>X-Forwarded-For</c> sets the client address the real forwarded-headers path sees.
/// </summary>
internal static class ClientAddressRequests
{
    public static Dictionary<string, string?> BehindProxy(Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["TrustedProxies:0"] = "127.0.0.1";
        return settings;
    }

    public static async Task<HttpResponseMessage> PostFromAsync<T>(this RunningServer server, string address, string path, T body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: PolydevJson.Options) };
        request.Headers.Add("X-Forwarded-For", address);
        return await server.Client.SendAsync(request);
    }
}
