/// The version this build reports: `trackingproxy --version` and each sidecar's heartbeat row.
enum TrackingProxyVersion {
    static let current = "0.1.0"
}
