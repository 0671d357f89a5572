/// The process entry point.
@main
extension TrackingProxyCommand {}
