import Logging
import NIOCore

/// What every client connection of one proxy server shares: immutable, built once at start.
final class ProxyContext: Sendable {
    let validator: RequestHeadValidator
    let rewriter: HeaderRewriter
    let metrics: ProxyMetrics
    let responseHeadTimeout: TimeAmount
    let logger: Logger
    /// Whether a direct peer (IP address text) is a trusted proxy whose `X-Forwarded-*` fields
    /// are believed. Called once per client connection.
    let isTrustedPeer: @Sendable (String) -> Bool
    /// Decides which requests are activities and records them; nil turns tracking off.
    let tracker: ActivityTracker?

    init(
        validator: RequestHeadValidator, rewriter: HeaderRewriter, metrics: ProxyMetrics, responseHeadTimeout: TimeAmount,
        logger: Logger, isTrustedPeer: @escaping @Sendable (String) -> Bool, tracker: ActivityTracker? = nil
    ) {
        self.isTrustedPeer = isTrustedPeer
        self.tracker = tracker
        self.validator = validator
        self.rewriter = rewriter
        self.metrics = metrics
        self.responseHeadTimeout = responseHeadTimeout
        self.logger = logger
    }
}
