using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent;

/// <summary>
/// Providers rotate refresh tokens: a CLI that refreshed during a run rewrote its credential file, and the refresh token
/// the client holds is dead. At the end of the run the agent compares the file with what the job brought; when the CLI
/// changed it (and it still has the CLI's shape), the new file goes back to the user sealed to the key the job named.
/// </summary>
internal static class CredentialWriteBack
{
    public static CredentialEvent? Check(Job job, ProviderSpec spec, string home)
    {
        JobCredential credential = job.Credential;
        if (credential.Type != JobCredential.CredentialFile || credential.WriteBackKey is not { Length: > 0 } key)
        {
            return null;
        }

        string content;
        try
        {
            content = File.ReadAllText(Path.Combine(home, spec.CredentialFile));
        }
        catch (IOException)
        {
            return null;
        }

        if (content == credential.Value || CredentialFileShape.Check(spec.Name, content, home, out _) is not { } summary)
        {
            return null;
        }

        byte[] plaintext = JsonSerializer.SerializeToUtf8Bytes(new LoginCapturedCredential
        {
            Provider = spec.Name,
            File = content,
            Account = summary.Account,
            ExpiresAt = summary.ExpiresAt,
            Refreshable = summary.Refreshable,
        }, LoginJsonContext.Default.LoginCapturedCredential);
        try
        {
            return new CredentialEvent { Sealed = Convert.ToBase64String(SealedBox.Seal(key, plaintext, CredentialEvent.SealedPurpose)) };
        }
        catch (CryptographicException)
        {
            // Not a public key: the run's answer stands, only the write-back is lost.
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
