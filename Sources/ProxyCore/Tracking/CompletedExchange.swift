/// How a tracked request ended, as the proxy saw it.
package struct CompletedExchange: Sendable {
    /// The status the client received.
    var status: Int
    /// Request and response body bytes that crossed the proxy.
    var requestBytes: Int
    var responseBytes: Int
    /// False when the response broke off (upstream or client closed mid-body).
    var completed: Bool

    package init(status: Int, requestBytes: Int, responseBytes: Int, completed: Bool) {
        self.status = status
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        self.completed = completed
    }
}
