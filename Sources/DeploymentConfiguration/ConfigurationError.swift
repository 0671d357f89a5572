/// A configuration that cannot be used, with where the problem is and what is allowed.
///
/// `description` reads `config.yaml:12:3: client.max_connections: "lots" is not an integer`, or
/// names the environment variable or flag the value came from.
package struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// Where the value came from: `FILE:LINE:COL`, `environment variable NAME`, `flag --NAME`, or nil.
    package var source: String?
    /// The dotted key path, e.g. `client.max_header_bytes`; empty for the whole document.
    package var keyPath: String
    /// A sentence saying what is wrong and what is allowed.
    package var message: String

    package var description: String {
        let prefix = source.map { "\($0): " } ?? ""
        let key = keyPath.isEmpty ? "" : "\(keyPath): "
        return "\(prefix)\(key)\(message)"
    }
}
