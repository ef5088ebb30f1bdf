using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cadre.Store;

namespace Cadre.Hub;

/// <summary>
/// Downloads one file into the cache's <c>blobs/ETAG</c>, as huggingface_hub does: under the lock
/// <c>.locks/.../ETAG.lock</c>, into <c>blobs/ETAG.incomplete</c>, which a later pull (or a dropped connection
/// within this one) continues with an HTTP Range request instead of starting over. The bytes are checked before the
/// blob takes its name: the size the Hub gave, and the hash the Hub lists: the SHA-256 of an LFS file (which is also
/// its ETag), the git blob id (SHA-1 of "blob SIZE\0" and the content) of any other. A file that fails the check is
/// deleted, never kept as complete; when it was a resumed one, it is downloaded once more from the start first.
/// </summary>
internal sealed class HubBlobDownload(HubApi api, HubCache cache, HubSettings settings)
{
    private const int Chunk = 1 << 20;

    /// <summary>How long a pull waits for another process that downloads the same blob.</summary>
    public static TimeSpan LockWait { get; set; } = TimeSpan.FromMinutes(30);

    /// <param name="bytes">receives the change in the bytes of the file on disk: a resumed part at once, then each
    /// chunk (negative when a restart discards some)</param>
    /// <returns>the bytes this call transferred</returns>
    public long Fetch(HubFile file, HubFileMetadata metadata, Action<long> bytes, CancellationToken cancel)
    {
        var blob = cache.Blob(metadata.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var lockPath = cache.Lock(metadata.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        using var held = FileLock.Acquire(lockPath, shared: false, LockWait)
            ?? throw new CadreException($"{cache.Repo}: another process has been downloading {file.Path} for {LockWait.TotalMinutes:0} minutes (lock {lockPath}); try again when it is done");
        if (File.Exists(blob))
            return 0; // another process finished it while we waited
        var check = Expected(file, metadata);
        var incomplete = cache.Incomplete(metadata.Etag);
        var resumed = File.Exists(incomplete) && new FileInfo(incomplete).Length > 0;
        long moved = 0;
        void Received(long count) => moved += count;
        Transfer(file, metadata, incomplete, bytes, Received, cancel);
        var actual = check.Verify(incomplete, metadata.Size);
        if (actual is not null && resumed)
        {
            // The kept part may be what went wrong (written by an older tool, or a disk error): once more, whole.
            bytes(-new FileInfo(incomplete).Length);
            File.Delete(incomplete);
            Transfer(file, metadata, incomplete, bytes, Received, cancel);
            actual = check.Verify(incomplete, metadata.Size);
        }
        if (actual is not null)
        {
            File.Delete(incomplete);
            throw new CadreException($"{cache.Repo}: {file.Path} as downloaded has {actual}, but the Hub lists {check.Name} {check.Value}; "
                + "it was deleted, not kept in the cache. Pull again; if it happens again, the Hub's copy or something between you and it (a proxy) is damaged");
        }
        File.Move(incomplete, blob);
        return moved;
    }

    /// <summary>Appends the rest of the file to <paramref name="incomplete"/>; resumes after a dropped connection up to <see cref="HubSettings.Retries"/> times.</summary>
    private void Transfer(HubFile file, HubFileMetadata metadata, string incomplete, Action<long> bytes, Action<long> received, CancellationToken cancel)
    {
        using var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        bytes(output.Length); // a part kept from before is done already
        var retries = settings.Retries;
        while (true)
        {
            var offset = output.Length;
            if (offset > metadata.Size)
            {
                bytes(-offset);
                output.SetLength(offset = 0); // longer than the file: not a prefix of it
            }
            if (offset == metadata.Size)
                return;
            output.Seek(offset, SeekOrigin.Begin);
            var before = output.Length;
            try
            {
                using var response = api.Download(metadata.Location, offset, file.Path, cancel);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
                {
                    // The server ignored or refused the range: what it sends starts at byte 0.
                    bytes(-offset);
                    output.SetLength(0);
                    if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                        continue;
                }
                else if (offset > 0 && response.Content.Headers.ContentRange?.From != offset)
                    throw new CadreException($"{cache.Repo}: the download of {file.Path} was asked to resume at byte {offset:N0}, but the server sent another range ({response.Content.Headers.ContentRange}); nothing was kept beyond what is in {incomplete}");
                using var body = response.Content.ReadAsStream(cancel);
                Copy(body, output, metadata.Size, read => { bytes(read); received(read); }, cancel);
                if (output.Length >= metadata.Size)
                {
                    output.Flush(flushToDisk: true);
                    return;
                }
                throw new IOException($"the connection closed after {output.Length:N0} of {metadata.Size:N0} bytes");
            }
            catch (Exception e) when (Interrupted(e) && !cancel.IsCancellationRequested)
            {
                output.Flush(flushToDisk: true);
                if (output.Length > before)
                    retries = settings.Retries; // progress was made: as huggingface_hub, the count starts again
                if (--retries < 0)
                    throw new CadreException($"{cache.Repo}: the download of {file.Path} stopped after {output.Length:N0} of {metadata.Size:N0} bytes ({HubErrors.Reason(e)}); "
                        + $"run the same command again to resume it (the part is kept as {incomplete})", e);
                Thread.Sleep(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>A connection that dropped or stalled, or a server gone for a moment: worth resuming.</summary>
    private static bool Interrupted(Exception e) =>
        e is IOException or HttpRequestException || e is CadreException { InnerException: HttpRequestException or TimeoutException };

    /// <summary>Copies until the file is complete or the body ends; each read has the settings' timeout.</summary>
    private void Copy(Stream body, FileStream output, long size, Action<long> bytes, CancellationToken cancel)
    {
        var buffer = new byte[Chunk];
        while (output.Length < size)
        {
            int read;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                deadline.CancelAfter(settings.Timeout);
                try
                {
                    read = body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - output.Length)), deadline.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
                {
                    throw new IOException($"no data for {settings.Timeout.TotalSeconds:0} s", e);
                }
            }
            if (read == 0)
                break;
            output.Write(buffer, 0, read);
            bytes(read);
        }
    }

    private Check Expected(HubFile file, HubFileMetadata metadata)
    {
        if (file.LfsSha256 is { } sha256)
            return metadata.Etag == sha256 ? new Check("sha256", sha256)
                : throw new CadreException($"{cache.Repo}: the Hub lists {file.Path} with SHA-256 {sha256} but serves it as {metadata.Etag}; nothing was downloaded");
        if (file.BlobId is { } oid)
            return new Check("git blob id", oid);
        throw new CadreException($"{cache.Repo}: the Hub lists {file.Path} without a hash to check it against; nothing was downloaded");
    }

    /// <summary>A hash the finished file must have: "sha256" of the content, or git's blob id.</summary>
    private sealed record Check(string Name, string Value)
    {
        /// <summary>Null when the file has the size and hash; else what it has instead, in words.</summary>
        public string? Verify(string path, long size)
        {
            var length = new FileInfo(path).Length;
            if (length != size)
                return $"{length:N0} bytes instead of {size:N0}";
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            string actual;
            if (Name == "sha256")
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            else
            {
                using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                sha1.AppendData(Encoding.ASCII.GetBytes($"blob {length}\0"));
                var buffer = new byte[1 << 20];
                for (int n; (n = stream.Read(buffer)) > 0;)
                    sha1.AppendData(buffer, 0, n);
                actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
            }
            return actual == Value ? null : $"{Name} {actual}";
        }
    }
}
