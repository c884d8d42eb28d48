using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Polydev.Verbs;

/// <summary>
/// How a verb that runs a process until SIGINT/SIGTERM (server, egress gateway, Docker helper) starts and ends: a setting
/// or start-up that fails is one line (<see cref="StartupFailure"/>) and exit 1; a clean stop is exit 0.
/// </summary>
internal static class HostedVerb
{
    public static async Task<int> RunAsync(string verb, Func<WebApplication> build, CancellationToken cancellationToken, Func<WebApplication, CancellationToken, Task>? start = null)
    {
        WebApplication app;
        try
        {
            app = build();
            await (start ?? ((application, token) => application.StartAsync(token)))(app, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"polydev {verb}: {StartupFailure.Describe(e)}");
            return 1;
        }

        await app.WaitForShutdownAsync(cancellationToken);
        await app.DisposeAsync();
        return 0;
    }
}
