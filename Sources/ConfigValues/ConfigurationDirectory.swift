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
}
