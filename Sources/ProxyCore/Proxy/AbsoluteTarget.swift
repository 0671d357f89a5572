/// A request-target in absolute form (`http://host[:port]/path?query`), which RFC 9112 §3.2.2 lets
/// clients send; the proxy forwards it in origin form and takes the authority as `Host`.
struct AbsoluteTarget: Equatable {
    /// The authority, used as the `Host` header.
    var authority: Substring
    /// The origin-form target: `/path?query`, at least `/`.
    var originForm: String

    init?(_ target: String) {
        let lowered = target.prefix(8).lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else { return nil }
        let afterScheme = target[target.index(target.startIndex, offsetBy: lowered.hasPrefix("http://") ? 7 : 8)...]
        let pathStart = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
        let authority = afterScheme[..<pathStart]
        guard !authority.isEmpty, !authority.contains("@"),
            !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F })
        else { return nil }
        let rest = afterScheme[pathStart...]
        self.authority = authority
        self.originForm = rest.first == "/" ? String(rest) : "/" + rest
    }
}
