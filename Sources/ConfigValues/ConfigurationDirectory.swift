extension CodingUserInfoKey {
    /// The directory of the configuration file being decoded (a `String`), against which a
    /// section resolves the relative paths of files it reads while decoding (`analytics.tokens_file`).
    /// Set by the configuration loader; absent, paths are relative to the working directory.
    public static let configurationDirectory: CodingUserInfoKey = {
        guard let key = CodingUserInfoKey(rawValue: "trackingproxy.configuration-directory") else {
            preconditionFailure("CodingUserInfoKey accepts any raw value")
        }
        return key
    }()

    /// Whether a section reads the files it names while decoding (a `Bool`; absent: no). Only the
    /// processes that use such a file ask for it: `analytics.tokens_file` is read by `analytics
    /// serve`, `doctor` and `config check`, never by a sidecar, which neither needs the tokens nor
    /// may be allowed to read the secret they are mounted from.
    public static let readsNamedFiles: CodingUserInfoKey = {
        guard let key = CodingUserInfoKey(rawValue: "trackingproxy.reads-named-files") else {
            preconditionFailure("CodingUserInfoKey accepts any raw value")
        }
        return key
    }()
}
