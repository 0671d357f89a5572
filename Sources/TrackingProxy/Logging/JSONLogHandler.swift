import Foundation
import JSONWriting
import Logging

/// A swift-log handler that writes each event as one JSON object on one line (`log.format: json`),
/// for log shippers (journald → Loki, Kubernetes → Fluent Bit, …):
///
///     {"time":"2026-12-02T15:30:55.123Z","level":"info","label":"trackingproxy","message":"stopped","metadata":{"error.message":"…"}}
///
/// Members, in this order: `time` (RFC 3339, UTC, milliseconds), `level` (swift-log's names),
/// `label` (the logger's), `message`, `metadata` (an object; nested dictionaries and arrays stay
/// objects and arrays, every other value is its description as a string; `{}` when there is none),
/// and `source` (the module that logged). Every string goes through `JSONText`, which escapes
/// quotes, backslashes, every control character and U+2028/U+2029, so a message or value holding a
/// newline can never split a record or forge one.
///
/// Metadata merges as in swift-log's `StreamLogHandler`: the handler's, then the metadata
/// provider's, then the event's (later wins), then `error.message` / `error.type` for an event
/// that carries an error. A value type, as swift-log requires; `sink` is called once per event with
/// the whole line including its newline, from whichever thread logged.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    let label: String
    /// Receives each complete line; must be safe to call from any thread at once.
    let sink: @Sendable (String) -> Void

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        sink(Self.line(time: Date(), level: event.level, label: label, message: event.message.description, metadata: merged, source: event.source))
    }

    /// One record as its JSON line, newline included. Metadata keys are written sorted, so that
    /// equal events give equal lines.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String) -> String {
        var object = JSONText.Object()
        object.add("time", string: time.formatted(timeFormat))
        object.add("level", string: level.rawValue)
        object.add("label", string: label)
        object.add("message", string: message)
        object.add("metadata", raw: json(metadata))
        object.add("source", string: source)
        return object.text + "\n"
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-12-02T15:30:55.123Z`.
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    private static func json(_ metadata: Logger.Metadata) -> String {
        var object = JSONText.Object()
        for key in metadata.keys.sorted() {
            if let value = metadata[key] { object.add(key, raw: json(value)) }
        }
        return object.text
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): JSONText.string(text)
        case .stringConvertible(let convertible): JSONText.string(convertible.description)
        case .dictionary(let dictionary): json(dictionary)
        case .array(let values): JSONText.array(values.map(json))
        }
    }
}
