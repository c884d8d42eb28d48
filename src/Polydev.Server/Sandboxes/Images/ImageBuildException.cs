namespace Polydev.Server.Sandboxes.Images;

/// <summary>An image could not be built; the message is one line an operator can act on.</summary>
public sealed class ImageBuildException : Exception
{
    public ImageBuildException(string message)
        : base(message)
    {
    }

    public ImageBuildException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
