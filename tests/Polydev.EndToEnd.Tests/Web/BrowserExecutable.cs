namespace Polydev.EndToEnd.Tests.Web;

/// <summary>Where a Debian browser the web tests drive is: the variable scripts/test sets, else the package's path.</summary>
public static class BrowserExecutable
{
    /// <summary>The browser's path.</summary>
    /// <exception cref="InvalidOperationException">
    /// It is not there: a failure, never a skip, since a suite that quietly skips its browser tests proves nothing.
    /// </exception>
    public static string Require(string variable, string fallback, string package)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } set ? set : fallback;
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"No {package} at {path}: run scripts/test (it installs Debian's {package} and sets {variable}).");
    }
}
