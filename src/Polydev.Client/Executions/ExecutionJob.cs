using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Contracts.Jobs;
using Polydev.Crypto;

namespace Polydev.Client.Executions;

/// <summary>
/// Seals the <see cref="Job"/> (docs/events.md, "The job") here, on the user's machine: the credential, the prompt,
/// the output key, the base URL and the CA bundle never leave it except inside the sealed box, which only the
/// sandbox's one-job key opens. The base URL and CA are the client's choice, never the server's, so a server cannot
/// send the credential anywhere else.
/// </summary>
internal static class ExecutionJob
{
    /// <summary>A fresh 32-byte key for one job's output stream.</summary>
    public static byte[] NewOutputKey() => RandomNumberGenerator.GetBytes(OutputStream.KeyLength);

    /// <summary>The job sealed to the sandbox's public key; the plaintext is wiped before returning.</summary>
    public static byte[] Seal(Job job, byte[] sandboxPublicKey)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(job, JobJsonContext.Default.Job);
        try
        {
            return SealedBox.Seal(sandboxPublicKey, plaintext, Job.SealedJobPurpose);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
