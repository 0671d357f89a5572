import Atomics
import Metrics
import NIOHTTP1

/// The proxy's metrics, created once at start so that the request path only increments.
///
/// Names (Prometheus): `trackingproxy_requests_total{method,status}`,
/// `trackingproxy_upstream_response_seconds` (histogram, request end sent → response head),
/// `trackingproxy_open_connections`, `trackingproxy_received_bytes_total`,
/// `trackingproxy_sent_bytes_total`, `trackingproxy_rejected_requests_total{reason}`,
/// `trackingproxy_upstream_errors_total{kind}`.
final class ProxyMetrics: Sendable {
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"]
    static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    private let requests: [[Counter]]
    let upstreamLatency: Metrics.Timer
    let openConnections: Meter
    let receivedBytes: Counter
    let sentBytes: Counter
    private let rejected: [String: Counter]
    private let rejectedOther: Counter
    let upstreamConnectFailures: Counter
    let upstreamTimeouts: Counter
    let upstreamAborts: Counter
    /// Answered requests and those answered 5xx, for the analysts' error rate.
    let answeredCount = ManagedAtomic<Int>(0)
    let serverErrorCount = ManagedAtomic<Int>(0)

    static let rejectionReasons = [
        "header_too_large", "uri_too_long", "body_too_large", "unsupported_transfer_coding", "unsupported_version",
        "connect_method", "unsupported_expectation", "invalid_target", "invalid_header_name", "invalid_header_value",
        "invalid_content_length", "conflicting_content_length", "content_length_with_transfer_encoding",
        "transfer_encoding_in_http10", "transfer_encoding_not_chunked", "missing_host", "duplicate_host",
        "malformed_request", "connection_limit", "request_head_timeout", "invalid_host", "too_many_connection_options",
        "client_body_timeout", "client_send_timeout",
    ]

    init() {
        requests = Self.methods.map { method in
            Self.statusClasses.map { status in
                Counter(label: "trackingproxy_requests_total", dimensions: [("method", method), ("status", status)])
            }
        }
        upstreamLatency = Metrics.Timer(label: "trackingproxy_upstream_response_seconds")
        openConnections = Meter(label: "trackingproxy_open_connections")
        receivedBytes = Counter(label: "trackingproxy_received_bytes_total")
        sentBytes = Counter(label: "trackingproxy_sent_bytes_total")
        rejected = Dictionary(uniqueKeysWithValues: Self.rejectionReasons.map {
            ($0, Counter(label: "trackingproxy_rejected_requests_total", dimensions: [("reason", $0)]))
        })
        rejectedOther = Counter(label: "trackingproxy_rejected_requests_total", dimensions: [("reason", "other")])
        upstreamConnectFailures = Counter(label: "trackingproxy_upstream_errors_total", dimensions: [("kind", "connect")])
        upstreamTimeouts = Counter(label: "trackingproxy_upstream_errors_total", dimensions: [("kind", "timeout")])
        upstreamAborts = Counter(label: "trackingproxy_upstream_errors_total", dimensions: [("kind", "aborted")])
    }

    /// Counts one answered request.
    func countRequest(method: HTTPMethod, status: Int) {
        let methodIndex: Int
        switch method {
        case .GET: methodIndex = 0
        case .HEAD: methodIndex = 1
        case .POST: methodIndex = 2
        case .PUT: methodIndex = 3
        case .PATCH: methodIndex = 4
        case .DELETE: methodIndex = 5
        case .OPTIONS: methodIndex = 6
        default: methodIndex = 7
        }
        let statusIndex = min(max(status / 100 - 1, 0), 4)
        requests[methodIndex][statusIndex].increment()
        answeredCount.wrappingIncrement(ordering: .relaxed)
        if statusIndex == 4 { serverErrorCount.wrappingIncrement(ordering: .relaxed) }
    }

    /// The share of answered requests that were 5xx since start; nil before the first.
    var errorRate: Double? {
        let answered = answeredCount.load(ordering: .relaxed)
        return answered == 0 ? nil : Double(serverErrorCount.load(ordering: .relaxed)) / Double(answered)
    }

    /// Counts a request the proxy refused itself.
    func countRejection(_ reason: String) {
        (rejected[reason] ?? rejectedOther).increment()
    }
}
