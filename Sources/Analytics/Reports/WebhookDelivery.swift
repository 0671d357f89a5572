import AsyncHTTPClient
import ConfigValues
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// POSTs a JSON document to the reports webhook, retried as `WebhookRetry` says: the I/O shell
/// over that state machine. One HTTP client per delivery (the job runs weekly), no redirects
/// followed, shut down before returning.
public struct WebhookDelivery: Sendable {
    let address: WebhookAddress
    let configuration: ReportsConfiguration
    let logger: Logger

    /// - Throws: `ReportError.webhookFailed` when `configuration.webhookURL` is not a URL (config
    ///   checks reject that first).
    public init(configuration: ReportsConfiguration, url: Secret, logger: Logger) throws(ReportError) {
        guard let address = WebhookAddress(url.value) else {
            throw .webhookFailed(address: "reports.webhook_url", attempts: 0, lastFailure: "not an http:// or https:// URL")
        }
        self.address = address
        self.configuration = configuration
        self.logger = logger
    }

    /// Posts `json` until a 2xx answer or `max_attempts`; returns the attempts made.
    /// - Throws: `ReportError.webhookFailed` after the last failed attempt; `CancellationError`.
    @discardableResult
    public func post(_ json: String) async throws -> Int {
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.redirectConfiguration = .disallow
        httpConfiguration.timeout = .init(connect: .nanoseconds(configuration.timeout.nanoseconds), read: .nanoseconds(configuration.timeout.nanoseconds))
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: httpConfiguration, backgroundActivityLogger: logger)
        do {
            let attempts = try await post(json, client: client)
            try await client.shutdown()
            return attempts
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func post(_ json: String, client: HTTPClient) async throws -> Int {
        var machine = WebhookRetry(maxAttempts: configuration.maxAttempts, retryDelay: configuration.retryDelay.duration)
        var action = machine.start()
        var lastFailure = ""
        while true {
            switch action {
            case .post(let attempt):
                if let failure = await postOnce(json, client: client) {
                    logger.warning("report webhook attempt failed", metadata: [
                        "url.redacted": "\(address.redacted)", "webhook.attempt": "\(attempt)", "error.message": "\(failure)"])
                    lastFailure = failure
                    action = machine.failed(failure)
                } else {
                    action = machine.succeeded()
                }
            case .wait(let delay, let next):
                // A graceful shutdown ends the wait: the service stops within its grace period
                // instead of sitting out the backoff; the run is recorded as failed.
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                } catch {
                    throw ReportError.webhookFailed(address: address.redacted, attempts: next - 1,
                                                    lastFailure: lastFailure + "; the service stopped before attempt \(next)")
                }
                action = machine.waited()
            case .delivered(let attempt):
                logger.info("report posted to the webhook", metadata: ["url.redacted": "\(address.redacted)", "webhook.attempt": "\(attempt)"])
                return attempt
            case .gaveUp(let attempts, let lastFailure):
                throw ReportError.webhookFailed(address: address.redacted, attempts: attempts, lastFailure: lastFailure)
            }
        }
    }

    /// One POST; nil on a 2xx answer, else a redacted sentence.
    private func postOnce(_ json: String, client: HTTPClient) async -> String? {
        var request = HTTPClientRequest(url: address.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(configuration.timeout.nanoseconds))
            // Read (a bounded part of) the answer, so that the connection can be reused or closed cleanly.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code) \(response.status.reasonPhrase)"
        } catch {
            return address.redact("\(error)")
        }
    }
}
