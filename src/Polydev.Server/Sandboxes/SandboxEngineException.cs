namespace Polydev.Server.Sandboxes;

/// <summary>
/// An engine refused or failed an operation: a problem-like error carrying the engine's own message
/// (e.g. the Docker daemon's <c>message</c>), the operation and the status it answered.
/// </summary>
public class SandboxEngineException : Exception
{
    public SandboxEngineException(string engine, string operation, int status, string detail, Exception? inner = null)
        : base($"{engine} {operation} failed ({status}): {detail}", inner)
    {
        Engine = engine;
        Operation = operation;
        Status = status;
        Detail = detail;
    }

    public string Engine { get; }

    /// <summary>What was asked, e.g. <c>create</c>, <c>exec</c>, <c>image import</c>.</summary>
    public string Operation { get; }

    /// <summary>The engine's HTTP status; 0 when it could not be reached.</summary>
    public int Status { get; }

    /// <summary>The engine's message, as it gave it.</summary>
    public string Detail { get; }

    public bool IsNotFound => Status == 404;

    public bool IsConflict => Status == 409;

    public bool IsUnreachable => Status == 0;
}
