using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Cadre.Specialists;

/// <summary>
/// The content identity of a specialist folder (<c>cadre-folder-v1</c>, docs/formats.md): SHA-256 over every file's
/// name and SHA-256, by name in UTF-8 order. A merge records it for each input; a Fisher cache is keyed by it.
/// </summary>
public static class SpecialistIdentity
{
    public static string ContentHash(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("cadre-folder-v1\0"u8);
        Span<byte> length = stackalloc byte[8];
        foreach (var file in Directory.GetFiles(folder).Select(Path.GetFileName).OfType<string>().Order(Tensors.Utf8Order.Strings))
        {
            var name = Encoding.UTF8.GetBytes(file);
            BinaryPrimitives.WriteInt64LittleEndian(length, name.Length);
            hash.AppendData(length);
            hash.AppendData(name);
            using var stream = File.OpenRead(Path.Combine(folder, file));
            hash.AppendData(SHA256.HashData(stream));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
