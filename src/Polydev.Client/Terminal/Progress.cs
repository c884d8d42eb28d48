using System.Diagnostics;
using System.Globalization;

namespace Polydev.Client.Terminal;

/// <summary>
/// Says on stderr what slow work is running and how long it took, so 600,000 PBKDF2 iterations do not look
/// like a hang. On a terminal the elapsed time ticks; in a log it is one line.
/// </summary>
internal static class Progress
{
    public static async Task<T> RunAsync<T>(string what, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var live = !Console.IsErrorRedirected;
        Console.Error.Write($"{what}…");
        using var ticker = live
            ? new Timer(_ => Console.Error.Write($"\r{what}… {Seconds(clock.Elapsed)}"), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250))
            : null;
        try
        {
            return await Task.Run(work);
        }
        finally
        {
            if (ticker is not null)
            {
                await ticker.DisposeAsync();
            }

            Console.Error.WriteLine(live ? $"\r{what}… done in {Seconds(clock.Elapsed)}" : $" done in {Seconds(clock.Elapsed)}");
        }
    }

    private static string Seconds(TimeSpan elapsed) =>
        elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
