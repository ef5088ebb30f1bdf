using System.Text.Json.Serialization;

namespace Cadre.Server.Contracts;

// The answers' shapes. Property names become snake_case; dictionary keys (labels, specialist names) stay as they are.
// Optional members are left out when null, except where null means something (an abstained route's specialist).

/// <summary>One text's answer of one task: the label (comma-joined labels for multilabel), its probabilities, or a value.</summary>
public sealed record PredictionDto(
    string Label,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Labels,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Value,
    IReadOnlyDictionary<string, double> Probabilities);

/// <summary>One task's predictions, in the order of the inputs.</summary>
public sealed record TaskPredictionsDto(string Task, string Kind, IReadOnlyList<PredictionDto> Predictions);

/// <summary>A predict answer; <see cref="Predictions"/> repeats the only task's list for a single-task specialist.</summary>
public sealed record PredictResponse(
    string Specialist, int? Version, IReadOnlyList<TaskPredictionsDto> Tasks,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<PredictionDto>? Predictions);

/// <summary>One text's route: the chosen specialist (null when abstained), the best one, and every score.</summary>
public sealed record RouteDto(string? Specialist, bool Abstained, string Best, double Confidence, double Signal, double? Threshold,
                              IReadOnlyDictionary<string, double> Scores);

public sealed record RouteResponse(IReadOnlyList<RouteDto> Routes);

/// <summary>One text's route and, unless the router abstained, the chosen specialist's prediction.</summary>
public sealed record AnswerDto(RouteDto Route, PredictionDto? Prediction);

public sealed record AskResponse(IReadOnlyList<AnswerDto> Answers);

public sealed record EmbedResponse(IReadOnlyList<float[]> Embeddings, int Dimension);

/// <summary>A registered specialist as the pool sees it.</summary>
public sealed record SpecialistDto(string Name, string Method, string Base, IReadOnlyList<string> Tasks, int Version, string VersionId,
                                   int? LoadedVersion, bool Hot, long Requests, long Inputs, long AdapterBytes,
                                   IReadOnlyDictionary<string, double> Metrics);

public sealed record SpecialistListResponse(IReadOnlyList<SpecialistDto> Specialists);

public sealed record VersionDto(int Number, string Id, string Message, DateTimeOffset CreatedAt, IReadOnlyList<string> Tags);

public sealed record LineageDto(string Method, IReadOnlyList<string> Inputs);

/// <summary>A specialist's detail: its status, labels, history (newest first, as the service gives it) and lineage.</summary>
public sealed record SpecialistDetailResponse(SpecialistDto Specialist, IReadOnlyList<string> Labels, IReadOnlyList<VersionDto> Versions,
                                              LineageDto? Lineage);

public sealed record UnloadResponse(string Name, bool Unloaded);

public sealed record HotSpecialistDto(string Name, long Inputs);

public sealed record ThroughputDto(DateTimeOffset At, double RequestsPerSecond, double RowsPerSecond);

/// <summary><c>GET /v1/stats</c>: the engine's counters, the last second's throughput and the last minute's.</summary>
public sealed record StatsResponse(
    long Batches, long Rows, long Requests, int QueueDepth, int QueueCapacity, int HotSpecialists, int RegisteredSpecialists,
    long PoolBytes, long PoolBudgetBytes, long Loads, long Evictions, IReadOnlyDictionary<string, long> BatchSizes,
    IReadOnlyList<HotSpecialistDto> TopSpecialists, double RequestsPerSecond, double RowsPerSecond, bool Draining,
    IReadOnlyList<ThroughputDto> History);

public sealed record HealthResponse(string Status);
