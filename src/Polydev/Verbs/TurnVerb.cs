using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Polydev.Server.Hosting;
using Polydev.Server.Login.Turn;

namespace Polydev.Verbs;

/// <summary>
/// <c>polydev turn config</c>: the turnserver.conf Polydev runs coturn with, from the configuration the server reads
/// (appsettings.json, <c>POLYDEV_</c> variables), for operators who run coturn themselves (docs/login-sessions.md,
/// "TURN"). The config holds the shared secret: it goes to stdout and nowhere else, and no message names it.
/// </summary>
internal static class TurnVerb
{
    private const int Failed = 1;
    private const int BadUsage = 2;

    public static Command Create()
    {
        var secretFile = new Option<string?>("--secret-file")
        {
            Description = "Take the shared secret from FILE (its first line) rather than Login:Turn:Secret or the embedded server's generated one; give the server the same secret (POLYDEV_LOGIN__TURN__SECRET).",
            HelpName = "FILE",
        };
        var data = new Option<string?>("--data") { Description = "The server's data directory, where the embedded server keeps its generated secret (default ./data; env POLYDEV_DATA).", HelpName = "DIR" };

        var config = new Command("config", "Print the turnserver.conf for coturn from the server's Login:Turn settings. It holds the shared secret: write it to a file only coturn can read (mode 0600).")
        {
            secretFile, data,
        };
        config.SetAction(parse => Print(parse.GetValue(secretFile), parse.GetValue(data)));
        return new Command("turn", "The TURN server (coturn) that relays login sessions' media.") { config };
    }

    private static int Print(string? secretFile, string? data)
    {
        TurnSecret? fromFile = null;
        if (secretFile is not null)
        {
            try
            {
                fromFile = TurnSecret.FromFile(secretFile);
            }
            catch (TurnConfigurationException e)
            {
                Console.Error.WriteLine($"polydev turn config: --secret-file: {e.Message}");
                return BadUsage;
            }
        }

        try
        {
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
                .AddEnvironmentVariables(PolydevServer.EnvironmentPrefix)
                .Build();
            var options = configuration.GetSection(TurnOptions.Section).Get<TurnOptions>() ?? new TurnOptions();
            TurnOptionsValidation.ValidateMode(options);
            var secret = fromFile ?? Secret(options, data ?? configuration[nameof(ServerOptions.Data)] ?? new ServerOptions().Data);
            Console.Out.Write(TurnServerConfig.Render(options, secret));
            return 0;
        }
        catch (Exception e) when (e is TurnConfigurationException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // A value the configuration binder could not convert says which key; none of these messages holds the secret.
            Console.Error.WriteLine($"polydev turn config: {e.Message}");
            return Failed;
        }
    }

    /// <summary>The configured secret, else the one the embedded server generates (made now when missing, so both agree).</summary>
    private static TurnSecret Secret(TurnOptions options, string data)
    {
        if (string.IsNullOrEmpty(options.Secret) && !options.IsEmbedded)
        {
            throw new TurnConfigurationException($"no shared secret: Login:Turn:Mode is '{options.Mode}', so set Login:Turn:Secret (POLYDEV_LOGIN__TURN__SECRET) or pass --secret-file FILE.");
        }

        return TurnSecret.Resolve(options, TurnFiles.Under(data));
    }
}
