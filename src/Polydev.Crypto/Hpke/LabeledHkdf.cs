using System.Diagnostics;
using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>RFC 9180 §4 LabeledExtract and LabeledExpand over HKDF-SHA256 (kdf_id 0x0001).</summary>
/// <remarks>
/// <c>LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)</c>;
/// <c>LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)</c>.
/// The suite id is "KEM" || kem_id inside the KEM and "HPKE" || kem_id || kdf_id || aead_id in the key schedule.
/// </remarks>
internal static class LabeledHkdf
{
    public const ushort KdfId = 0x0001;
    public const int HashLength = 32;

    private static ReadOnlySpan<byte> ProtocolVersion => "HPKE-v1"u8;

    public static byte[] Extract(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm)
    {
        var labeledIkm = Labeled(length: null, suiteId, label, ikm);
        var prk = new byte[HashLength];
        HKDF.Extract(HashAlgorithmName.SHA256, labeledIkm, salt, prk);
        CryptographicOperations.ZeroMemory(labeledIkm);
        return prk;
    }

    public static byte[] Expand(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, int length)
    {
        var labeledInfo = Labeled(checked((ushort)length), suiteId, label, info);
        var output = new byte[length];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, output, labeledInfo);
        return output;
    }

    /// <summary>
    /// <c>[I2OSP(L, 2)] || "HPKE-v1" || suite_id || label || value</c>: the labelled IKM of LabeledExtract (no length)
    /// and the labelled info of LabeledExpand (with L) share this layout.
    /// </summary>
    private static byte[] Labeled(ushort? length, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> label, ReadOnlySpan<byte> value)
    {
        var labeled = new byte[(length is null ? 0 : sizeof(ushort)) + ProtocolVersion.Length + suiteId.Length + label.Length + value.Length];
        var writer = new ByteWriter(labeled);
        if (length is { } outputLength)
        {
            writer.WriteUInt16BigEndian(outputLength);
        }

        writer.Write(ProtocolVersion);
        writer.Write(suiteId);
        writer.Write(label);
        writer.Write(value);
        Debug.Assert(writer.IsFull);
        return labeled;
    }
}
