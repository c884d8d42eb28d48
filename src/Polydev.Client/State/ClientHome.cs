namespace Polydev.Client.State;

/// <summary>Where the client keeps its state: <c>POLYDEV_HOME</c>, else <c>$XDG_CONFIG_HOME/polydev</c>, else <c>~/.config/polydev</c>.</summary>
internal static class ClientHome
{
    public const string Variable = "POLYDEV_HOME";

    public static string Directory
    {
        get
        {
            if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } home)
            {
                return Path.GetFullPath(home);
            }

            var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(config, "polydev");
        }
    }
}
