// The process entry point. Fuzz builds (`TRACKINGPROXY_FUZZ=1`, see Package.swift) compile this module
// as a library linked into libFuzzer executables, which bring their own `main`.
#if !TRACKINGPROXY_LIBRARY
@main
extension TrackingProxyCommand {}
#endif
