// MSBuild inline task (RoslynCodeTaskFactory, compiled for netstandard2.0): see TorchSharpNativeFix.targets for why this exists.
using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class CadreWeakenGlibcxxRequirement : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        if (SystemLibstdcxxHas(Version))
        {
            Log.LogMessage(MessageImportance.Low, "System libstdc++ defines " + Version + "; no patch needed.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] elf = File.ReadAllBytes(path);
                int patched = Weaken(elf, Version);
                if (patched == 0) continue;
                // Write a copy and rename over: never modifies a file shared by hard link (e.g. the NuGet cache).
                var stamp = File.GetLastWriteTimeUtc(path);
                string tmp = path + ".cadre-tmp";
                File.WriteAllBytes(tmp, elf);
                File.SetLastWriteTimeUtc(tmp, stamp);
                File.Delete(path); // unlinks: a hard-linked original elsewhere is untouched
                File.Move(tmp, path);
                Log.LogMessage(MessageImportance.High, "Cadre: marked " + Version + " weak in " + path);
            }
            catch (Exception e)
            {
                Log.LogError("Cadre: could not patch " + path + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool SystemLibstdcxxHas(string version)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        };
        var path = candidates.FirstOrDefault(File.Exists);
        if (path == null) return false;
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        byte[] hay = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>; returns how many changed.</summary>
    static int Weaken(byte[] b, string version)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is handled");
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3a);
        int shnum = BitConverter.ToUInt16(b, 0x3c);
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(b, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(b, (int)sh + 0x28);
            long strOffset = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 0x18);
            long vn = offset;
            while (true)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int k = 0; k < cnt; k++)
                {
                    int flagsAt = (int)aux + 4;
                    long name = strOffset + BitConverter.ToUInt32(b, (int)aux + 8);
                    int end = Array.IndexOf(b, (byte)0, (int)name);
                    string s = Encoding.ASCII.GetString(b, (int)name, end - (int)name);
                    ushort flags = BitConverter.ToUInt16(b, flagsAt);
                    if (s == version && (flags & VerFlgWeak) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(b, flagsAt);
                        changed++;
                    }
                    uint next = BitConverter.ToUInt32(b, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BitConverter.ToUInt32(b, (int)vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return changed;
    }
}
