/// The version this build reports: `trackingproxy --version` and each sidecar's heartbeat row.
enum TrackingProxyVersion {
    static let current = "0.1.0"
    /// The commit built (`git rev-parse --short=12 HEAD`, `-dirty` when tracked files differed,
    /// `unknown` outside a git checkout), baked in by the BuildCommit plugin (Plugins/BuildCommit).
    static let commit = BuildCommit.id
    /// What `trackingproxy --version` prints, e.g. `0.1.0 (commit 018f8ba6c3d2)`.
    static let description = "\(current) (commit \(commit))"
}
