extension WeeklyReport {
    /// The report as one self-contained HTML page (inline style, no script). Every text from the
    /// data (types, user ids) is escaped with `HTMLText`.
    public var html: String {
        var body = ""
        for section in sections {
            body += "<h2>\(HTMLText.escape(section.title))</h2>\n<p>\(HTMLText.escape(section.sentence))</p>\n"
            guard !section.rows.isEmpty else { continue }
            body += "<table>\n<tr>" + section.header.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr>\n"
            for row in section.rows { body += "<tr>" + row.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n" }
            body += "</table>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTMLText.escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:48em;margin:2em auto;color:#222}\
            table{border-collapse:collapse;margin-bottom:1em}th,td{padding:.2em .8em;border-bottom:1px solid #ddd}\
            td:not(:first-child),th:not(:first-child){text-align:right}</style></head>
            <body>
            <h1>\(HTMLText.escape(title))</h1>
            \(body)<p><small>Generated \(HTMLText.escape(generatedAt.formatted(.iso8601))); weeks are ISO weeks, Monday 00:00 to Monday 00:00 UTC.</small></p>
            </body></html>

            """
    }
}
