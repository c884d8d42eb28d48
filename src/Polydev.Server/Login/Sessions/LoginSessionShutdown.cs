using Microsoft.Extensions.Hosting;
using Polydev.Contracts.Login;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// When the server stops, every live login session ends (<c>server_stopped</c>): its agent tells the viewer, and its
/// sandbox is destroyed now rather than left running until the next start's reconciliation.
/// </summary>
public sealed class LoginSessionShutdown(LoginSessionRegistry registry, LoginSessionWatcher watcher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(registry.All.Where(s => !s.Ended.IsCompleted).Select(s => watcher.EndAsync(s, LoginSessionEndReasons.ServerStopped)))
            .WaitAsync(cancellationToken);
}
