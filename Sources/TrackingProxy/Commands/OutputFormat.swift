import ArgumentParser
import Foundation
import Analytics

/// How listings and summaries are printed.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv
}

/// How exports are written.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case csv, jsonl
}

/// Writes text to standard output without Foundation's buffering surprises.
enum StandardOutput {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Writes a line to standard error.
enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

