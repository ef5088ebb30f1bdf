namespace Cadre.Store.Git;

/// <summary>
/// Git's long-running filter process (gitattributes(5), "Long Running Filter Process"; <c>filter.cadre.process</c>):
/// one Cadre process serves every file of a checkout, add or status, over pkt-line protocol version 2 with the
/// <c>clean</c> and <c>smudge</c> capabilities. A file that fails gets <c>status=error</c> and its reason on stderr
/// (git shows it and names the path); the process goes on with the next file. Only a broken protocol ends it.
/// </summary>
public static class GitFilterProcess
{
    /// <summary>Serves git on <paramref name="input"/>/<paramref name="output"/> until git closes the pipe.</summary>
    /// <param name="open">Opens the store on first use; a failure there fails each file with its message.</param>
    public static void Serve(Func<GitFilter> open, Stream input, Stream output, TextWriter errors)
    {
        var reader = new PktLineReader(input);
        var writer = new PktLineWriter(output);
        var hello = reader.ReadTextList() ?? throw new CadreException("git filter protocol: no handshake (run by git as filter.cadre.process, not by hand)");
        if (!hello.Contains("git-filter-client") || !hello.Contains("version=2"))
            throw new CadreException($"git filter protocol: expected git-filter-client version=2, got '{string.Join(", ", hello)}'");
        writer.WriteText("git-filter-server");
        writer.WriteText("version=2");
        writer.WriteFlush();
        var offered = reader.ReadTextList() ?? throw new CadreException("git filter protocol: the stream ended before the capabilities");
        foreach (var capability in new[] { "clean", "smudge" })
            if (offered.Contains($"capability={capability}"))
                writer.WriteText($"capability={capability}");
        writer.WriteFlush();

        GitFilter? filter = null;
        string? openError = null;
        while (reader.ReadTextList() is { } request)
        {
            var keys = request.Select(line => line.Split('=', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
            var command = keys.GetValueOrDefault("command");
            var path = keys.GetValueOrDefault("pathname") ?? "(no pathname)";
            if (command is not ("clean" or "smudge"))
                throw new CadreException($"git filter protocol: unexpected command '{command}' (only clean and smudge were offered)");
            GitTrace.Write($"{command} {path}");
            if (filter is null && openError is null)
            {
                try { filter = open(); }
                catch (Exception e) when (e is CadreException or IOException or UnauthorizedAccessException) { openError = e.Message; }
            }
            if (filter is null)
            {
                reader.CopyContentTo(Stream.Null);
                Fail(writer, errors, path, openError!);
                continue;
            }
            Handle(filter, command, path, reader, writer, errors);
        }
    }

    private static void Handle(GitFilter filter, string command, string path, PktLineReader reader, PktLineWriter writer, TextWriter errors)
    {
        IDisposable? writeLock = null;
        string? spool = null;
        bool contentRead = false, sending = false;
        try
        {
            writeLock = filter.Git.WriteLock();
            spool = filter.Git.NewTemporaryFile();
            using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                reader.CopyContentTo(file);
            contentRead = true;
            if (command == "clean")
            {
                var text = filter.Clean(path, spool);
                writer.WriteText("status=success");
                writer.WriteFlush();
                sending = true;
                using (var content = writer.OpenContent()) content.Write(text);
            }
            else
            {
                var plan = filter.PrepareSmudge(path, spool);
                writer.WriteText("status=success");
                writer.WriteFlush();
                sending = true;
                using (var content = writer.OpenContent()) plan.WriteTo(content);
            }
            writer.WriteFlush(); // end of content
            writer.WriteFlush(); // empty list: the status stays success
        }
        catch (Exception e) when (e is CadreException or IOException or UnauthorizedAccessException)
        {
            if (!contentRead) reader.CopyContentTo(Stream.Null); // the rest of the content, to stay in step with git
            if (sending) writer.WriteFlush(); // ends the partial content; the status below replaces success
            Fail(writer, errors, path, e.Message);
        }
        finally
        {
            if (spool is not null) File.Delete(spool);
            writeLock?.Dispose();
        }
    }

    private static void Fail(PktLineWriter writer, TextWriter errors, string path, string message)
    {
        errors.WriteLine(message.StartsWith(path + ":", StringComparison.Ordinal) ? $"cadre: {message}" : $"cadre: {path}: {message}");
        errors.Flush();
        writer.WriteText("status=error");
        writer.WriteFlush();
    }
}

/// <summary>
/// With <c>CADRE_GIT_TRACE=FILE</c>, each filter start and each file it handles appends a line to FILE
/// (<c>PID start</c>, <c>PID clean PATH</c>): how to see that one process served a whole checkout.
/// </summary>
public static class GitTrace
{
    public const string EnvironmentVariable = "CADRE_GIT_TRACE";

    public static void Write(string line)
    {
        var file = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(file)) return;
        File.AppendAllText(file, $"{Environment.ProcessId} {line}\n");
    }
}
