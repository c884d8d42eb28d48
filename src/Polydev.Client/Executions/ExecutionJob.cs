using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.Crypto;

namespace Polydev.Client.Executions;

/// <summary>
/// The job the sandbox agent runs (docs/events.md, "The job"), built and sealed here, on the user's machine: the
/// credential, the prompt, the output key, the base URL and the CA bundle never leave it except inside the sealed
/// box, which only the sandbox's one-job key opens. The base URL and CA are the client's choice, never the
/// server's, so a server cannot send the credential anywhere else.
/// </summary>
internal sealed class ExecutionJob
{
    public const string SealedJobPurpose = "execution.job";

    public required string Provider { get; init; }

    /// <summary><c>api_key</c> or <c>credential_file</c>.</summary>
    public required string CredentialType { get; init; }

    public required string Credential { get; init; }

    public required string Prompt { get; init; }

    public string? Model { get; init; }

    public int TimeLimitSeconds { get; init; }

    public long MaxOutputBytes { get; init; }

    public string? ProxyUrl { get; init; }

    public string? BaseUrl { get; init; }

    public string? CaBundle { get; init; }

    /// <summary>A fresh 32-byte key for this job's output stream.</summary>
    public byte[] OutputKey { get; } = RandomNumberGenerator.GetBytes(OutputStream.KeyLength);

    /// <summary>The job sealed to the sandbox's public key; the plaintext is wiped before returning.</summary>
    public byte[] SealTo(byte[] sandboxPublicKey)
    {
        var options = new JsonObject();
        if (Model is not null)
        {
            options["model"] = Model;
        }

        options["timeLimitSeconds"] = TimeLimitSeconds;
        options["maxOutputBytes"] = MaxOutputBytes;
        var job = new JsonObject
        {
            ["version"] = 1,
            ["provider"] = Provider,
            ["credential"] = new JsonObject { ["type"] = CredentialType, ["value"] = Credential },
            ["prompt"] = Prompt,
            ["options"] = options,
            ["outputKey"] = Convert.ToBase64String(OutputKey),
        };
        if (ProxyUrl is not null)
        {
            job["proxyUrl"] = ProxyUrl;
        }

        if (BaseUrl is not null)
        {
            job["baseUrl"] = BaseUrl;
        }

        if (CaBundle is not null)
        {
            job["caBundle"] = CaBundle;
        }

        var plaintext = JsonSerializer.SerializeToUtf8Bytes(job);
        try
        {
            return SealedBox.Seal(sandboxPublicKey, plaintext, SealedJobPurpose);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
