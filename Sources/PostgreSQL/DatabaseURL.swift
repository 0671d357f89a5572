import Foundation

/// Helpers for `database.url`, a libpq conninfo string or `postgresql://` URI.
public enum DatabaseURL {
    /// The URL with any password replaced by `***`, fit for a log line:
    /// `postgresql://app:***@db1,db2/app`, `host=db password=*** dbname=app`.
    public static func redacted(_ url: String) -> String {
        var text = url
        if text.lowercased().hasPrefix("postgres") && text.contains("://") {
            // URI user info (scheme://user:password@host) and query parameter (?password=...)
            text = replacing(#"(postgres(?:ql)?://[^:/@?]*:)[^@/?]*(@)"#, in: text, with: "$1***$2")
            return replacing(#"([?&]password=)[^&]*"#, in: text, with: "$1***")
        }
        // conninfo: password=value or password = 'quoted value'
        text = replacing(#"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)"#, in: text, with: "$1***")
        return text
    }

    private static func replacing(_ pattern: String, in text: String, with template: String) -> String {
        guard let expression = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return text }
        let range = NSRange(text.startIndex..., in: text)
        return expression.stringByReplacingMatches(in: text, range: range, withTemplate: template)
    }
}
