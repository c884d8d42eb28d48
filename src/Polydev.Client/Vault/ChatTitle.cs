using System.Text;
using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Client.Vault;

/// <summary>A chat title: the UTF-8 bytes of the title string, kind <c>chat.title</c>, record id = chat id (docs/vault.md).</summary>
internal static class ChatTitle
{
    public static EncryptedValue Seal(VaultCipher cipher, Guid chatId, string title) =>
        cipher.Seal(EnvelopeKinds.ChatTitle, chatId, Encoding.UTF8.GetBytes(title));

    public static string Open(VaultCipher cipher, Guid chatId, EncryptedValue value) =>
        Encoding.UTF8.GetString(cipher.Open(EnvelopeKinds.ChatTitle, chatId, value));
}
