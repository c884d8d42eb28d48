namespace Polydev.Client.Verbs;

/// <summary>The <c>--base-url</c> and <c>--ca-file</c> options shared by <c>credentials add</c> and <c>run</c>.</summary>
internal static class Endpoint
{
    public static string? ParseBaseUrl(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
            ? text
            : throw new UsageException($"{option} must be an absolute http or https URL.");
    }

    public static async Task<string?> ReadCaBundleAsync(string? path, string option, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return null;
        }

        return File.Exists(path)
            ? await File.ReadAllTextAsync(path, cancellationToken)
            : throw new UsageException($"{option} {path} does not exist.");
    }
}
