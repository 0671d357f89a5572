import ActivityRules
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
    /// The per-event-loop counters `system_metrics` is harvested from; nil counts nothing.
    let traffic: TrafficCounters?

    init(
        validator: RequestHeadValidator, rewriter: HeaderRewriter, metrics: ProxyMetrics, responseHeadTimeout: TimeAmount,
        logger: Logger, isTrustedPeer: @escaping @Sendable (String) -> Bool, tracker: ActivityTracker? = nil,
        traffic: TrafficCounters? = nil
    ) {
        self.isTrustedPeer = isTrustedPeer
        self.traffic = traffic
        self.tracker = tracker
        self.validator = validator
        self.rewriter = rewriter
        self.metrics = metrics
        self.responseHeadTimeout = responseHeadTimeout
        self.logger = logger
    }

    /// The context `serve` builds from its configuration: limits from `client`, the upstream's
    /// `Host` when `upstream.rewrite_host` is on, and, with a tracker, the identity headers its
    /// policy reads stripped from responses and refused from untrusted peers.
    convenience init(
        configuration: SidecarConfiguration, tracker: ActivityTracker?, logger: Logger, isTrustedPeer: @escaping @Sendable (String) -> Bool,
        traffic: TrafficCounters? = nil
    ) {
        var rewriter = HeaderRewriter(upstreamHost: configuration.upstream.rewriteHost ? configuration.upstream.url.hostHeader : nil)
        rewriter.underscoresInHeaders = configuration.client.underscoresInHeaders
        if let identity = tracker?.currentPolicy.identity {
            rewriter.strippedResponseHeaders = identity.strippedResponseHeaders
            rewriter.untrustedDroppedHeaders += identity.trustedRequestHeaders
        }
        self.init(
            validator: RequestHeadValidator(
                maxHeaderBytes: configuration.client.maxHeaderBytes.bytes, maxURLBytes: configuration.client.maxURLBytes.bytes,
                maxBodyBytes: configuration.client.maxBodyBytes?.bytes),
            rewriter: rewriter,
            metrics: ProxyMetrics(),
            responseHeadTimeout: TimeAmount(configuration.upstream.responseHeadTimeout.duration),
            logger: logger,
            isTrustedPeer: isTrustedPeer,
            tracker: tracker,
            traffic: traffic)
    }
}
