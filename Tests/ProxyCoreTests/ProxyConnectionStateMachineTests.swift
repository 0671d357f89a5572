import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// `ProxyConnectionStateMachine` driven event by event, without sockets: each case is a script
/// of events, each with the action the machine must answer (summarised as text), and the state it
/// must end in. The real `RequestHeadValidator` and `HeaderRewriter` judge and rewrite the heads.
@Suite struct ProxyConnectionStateMachineTests {
    // MARK: Request end against response end

    static let orderings: [Script] = [
        Script(
            "request ends before the upstream connection arrives",
            [
                .head(.post), "acquire(1)", .body(2), "none", .read(), "none", .body(2), "none", .end,
                "end(forward:false,await:false)",
                .connected(reused: false), "send(body:2,end:true,flush:true)", .writable(true), "read",
                .upstreamHead(200), "head↓200,keep-alive", .upstreamBody, "body↓", .upstreamEnd,
                "complete(reuse:true,close:false)",
            ], ends: "idle"),
        Script(
            "request ends before the response head",
            [
                .head(.post), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)", .body(2), "body↑",
                .body(2), "body↑", .end, "end(forward:true,await:true)", .upstreamHead(200), "head↓200,keep-alive",
                .upstreamBody, "body↓", .upstreamEnd, "complete(reuse:true,close:false)",
            ], ends: "idle"),
        Script(
            "request ends between the response head and its end: the connection closes after it",
            [
                .head(.post), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)", .body(2), "body↑",
                .upstreamHead(200), "head↓200,close", .body(2), "body↑", .end, "end(forward:true,await:false)",
                .upstreamEnd, "complete(reuse:true,close:true)",
            ], ends: "discarding"),
        Script(
            "request ends after the response end: the upstream connection is not reused",
            [
                .head(.post), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)", .body(2), "body↑",
                .upstreamHead(401), "head↓401,close", .upstreamEnd, "complete(reuse:false,close:true)", .body(2), "none",
                .end, "end(forward:false,await:false)", .read(), "read",
            ], ends: "discarding"),
        Script(
            "a GET ends with its head; its response keeps the connection",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: false),
                "send(body:0,end:true,flush:true)", .upstreamHead(200), "head↓200,keep-alive", .upstreamEnd,
                "complete(reuse:true,close:false)", .head(.get), "acquire(2)",
            ], ends: "acquiring"),
        Script(
            "the client asks to close: the connection closes after the response",
            [
                .head(.getClose), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamHead(200), "head↓200,close", .upstreamEnd,
                "complete(reuse:true,close:true)", .head(.get), "none",
            ], ends: "discarding"),
    ]

    @Test(arguments: orderings) func requestEndAgainstResponseEnd(_ script: Script) {
        script.check()
    }

    // MARK: Errors at each state

    static let errors: [Script] = Stage.allCases.flatMap { stage in
        Failure.allCases.map { failure in
            let (action, state) = expectedAfter(failure, at: stage)
            return Script("\(failure) while \(stage)", stage.events + [failure.event, .expect(action)], ends: state)
        }
    }

    /// What each failure does at each stage: the table the machine is checked against.
    static func expectedAfter(_ failure: Failure, at stage: Stage) -> (String, String) {
        switch (stage, failure) {
        // Any other error on the connection closes it; its going away cleans up.
        case (_, .clientError): ("close", "closed")
        case (_, .clientClosed): ("cleanUp", "closed")
        // Nothing in progress.
        case (.idle, .malformedInput): ("respond(400,close:true)", "discarding")
        case (.idle, .bodyTimeout): ("respond(408,close:true)", "discarding")
        case (.idle, .sendTimeout): ("close", "closed")
        case (.idle, _) where failure.concernsUpstream: ("none", "idle")
        // Waiting for an upstream connection, the request complete: later input waits its turn.
        case (.acquiring, .malformedInput): ("none", "acquiring")
        case (.acquiring, .connectFailed): ("respond(502,close:false)", "idle")
        case (.acquiring, .bodyTimeout): ("respond(408,close:true)", "discarding")
        case (.acquiring, .sendTimeout): ("close", "closed")
        case (.acquiring, _) where failure.concernsUpstream: ("none", "acquiring")
        // A body going upstream, no response yet: the rest of the request is not read.
        case (.sendingBody, .malformedInput): ("respond(400,close:true)", "discarding")
        case (.sendingBody, .upstreamClosed): ("respond(502,close:true)", "discarding")
        case (.sendingBody, .responseHeadTimeout): ("respond(504,close:true)", "discarding")
        case (.sendingBody, .bodyTimeout): ("respond(408,close:true)", "discarding")
        case (.sendingBody, .sendTimeout): ("close", "closed")
        case (.sendingBody, .connectFailed): ("none", "forwarding")
        // The whole request upstream on a reused connection, no response yet.
        case (.awaitingResponse, .malformedInput): ("none", "forwarding")
        case (.awaitingResponse, .upstreamClosed): ("connectFresh(1)", "acquiring")
        case (.awaitingResponse, .responseHeadTimeout): ("respond(504,close:false)", "idle")
        case (.awaitingResponse, .bodyTimeout): ("respond(408,close:true)", "discarding")
        case (.awaitingResponse, .sendTimeout): ("close", "closed")
        case (.awaitingResponse, .connectFailed): ("none", "forwarding")
        // A response under way: no answer of the proxy's own can follow it.
        case (.streaming, .malformedInput): ("none", "forwarding")
        case (.streaming, .upstreamClosed): ("close", "closed")
        case (.streaming, .responseHeadTimeout): ("none", "forwarding")
        case (.streaming, .bodyTimeout): ("close", "closed")
        case (.streaming, .sendTimeout): ("close", "closed")
        case (.streaming, .connectFailed): ("none", "forwarding")
        // A 101 received, its end not yet: nothing went to the client.
        case (.switching, .malformedInput): ("none", "forwarding")
        case (.switching, .upstreamClosed): ("connectFresh(1)", "acquiring")
        case (.switching, .responseHeadTimeout): ("respond(504,close:true)", "discarding")
        case (.switching, .bodyTimeout): ("respond(408,close:true)", "discarding")
        case (.switching, .sendTimeout): ("close", "closed")
        case (.switching, .connectFailed): ("none", "forwarding")
        // Closing after an answer.
        case (.discarding, .malformedInput), (.discarding, .bodyTimeout), (.discarding, .sendTimeout): ("close", "closed")
        case (.discarding, _) where failure.concernsUpstream: ("none", "discarding")
        // Gone to a tunnel, or closed.
        case (.tunnelling, .malformedInput): ("close", "closed")
        case (.tunnelling, _): ("none", "tunnelling")
        case (.closed, .malformedInput): ("close", "closed")
        case (.closed, _): ("none", "closed")
        default: ("unexpected", "unexpected")
        }
    }

    @Test(arguments: errors) func errorAtEachState(_ script: Script) {
        script.check()
    }

    // MARK: Shutdown at each state

    static let shutdowns: [Script] = Stage.allCases.map { stage in
        let (action, state, rest): (String, String, [Step]) =
            switch stage {
            case .idle: ("close", "closed", [])
            case .acquiring:
                (
                    "none", "discarding",
                    [
                        .connected(reused: true), "send(body:0,end:true,flush:false)", .upstreamHead(200), "head↓200,close",
                        .upstreamEnd, "complete(reuse:true,close:true)",
                    ]
                )
            case .sendingBody:
                (
                    "none", "discarding",
                    [
                        .body(2), "body↑", .end, "end(forward:true,await:true)", .upstreamHead(200), "head↓200,close", .upstreamEnd,
                        "complete(reuse:true,close:true)",
                    ]
                )
            case .awaitingResponse:
                ("none", "discarding", [.upstreamHead(200), "head↓200,close", .upstreamEnd, "complete(reuse:true,close:true)"])
            case .streaming: ("none", "discarding", [.upstreamEnd, "complete(reuse:true,close:true)"])
            // A switch the upstream accepted goes through: the tunnel ends with its connections.
            case .switching: ("none", "tunnelling", [.upstreamEnd, "tunnel"])
            case .discarding: ("none", "discarding", [])
            case .tunnelling: ("none", "tunnelling", [])
            case .closed: ("none", "closed", [])
            }
        return Script("shutdown while \(stage)", stage.events + [.shutdown, .expect(action)] + rest, ends: state)
    }

    @Test(arguments: shutdowns) func shutdownAtEachState(_ script: Script) {
        script.check()
    }

    @Test func aRequestAfterShutdownClosesTheConnectionAfterItsResponse() {
        Script(
            "a request pipelined before the shutdown",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .head(.get), "none", .end, "none",
                .connected(reused: true), "send(body:0,end:true,flush:false)", .shutdown, "none", .upstreamHead(200),
                "head↓200,close", .upstreamEnd, "complete(reuse:true,close:true)", .replay, "nil",
            ], ends: "discarding"
        ).check()
    }

    // MARK: Pipelining

    static let pipelining: [Script] = [
        Script(
            "a request pipelined behind a keep-alive response is replayed after it",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .head(.post), "none", .body(4), "none",
                .end, "none", .read(), "none", .connected(reused: true), "send(body:0,end:true,flush:false)",
                .writable(true), "none", .upstreamHead(200), "head↓200,keep-alive", .upstreamEnd,
                "complete(reuse:true,close:false)", .replay, "acquire(2)", .replay, "none", .connected(reused: true),
                "send(body:1,end:false,flush:false)", .replay, "end(forward:true,await:true)", .replay, "nil", .drained,
                "none", .upstreamHead(200), "head↓200,keep-alive", .upstreamEnd, "complete(reuse:true,close:false)",
                .replay, "nil", .drained, "read",
            ], ends: "idle"),
        Script(
            "a request pipelined behind a refused one is dropped",
            [
                .head(.connect), "respond(405,close:true)", .head(.get), "none", .end, "end(forward:false,await:false)",
                .replay, "nil",
            ], ends: "discarding"),
        Script(
            "a request pipelined behind the proxy's own keep-alive answer is replayed after it",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .head(.get), "none",
                .end, "none", .connected(reused: false), "send(body:0,end:true,flush:true)", .upstreamClosed,
                "respond(502,close:false)", .replay, "acquire(2)",
            ], ends: "acquiring"),
        Script(
            "a request pipelined behind an answer that closes is never replayed",
            [
                .head(.getClose), "acquire(1)", .end, "end(forward:false,await:false)", .head(.get), "none",
                .end, "none", .connected(reused: false), "send(body:0,end:true,flush:true)", .upstreamClosed,
                "respond(502,close:true)", .replay, "nil",
            ], ends: "discarding"),
        Script(
            "malformed input pipelined behind a keep-alive response is answered after it",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .malformed, "none", .connected(reused: false),
                "send(body:0,end:true,flush:true)", .upstreamHead(204), "head↓204,keep-alive", .upstreamEnd,
                "complete(reuse:true,close:false)", .replay, "respond(400,close:true)", .replay, "nil",
            ], ends: "discarding"),
        Script(
            "an upstream connection that arrives for an exchange that is over goes back",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .bodyTimeout, "respond(408,close:true)",
                .connected(reused: false), "release",
            ], ends: "discarding"),
    ]

    @Test(arguments: pipelining) func pipelinedRequests(_ script: Script) {
        script.check()
    }

    // MARK: Retry on a stale pooled connection

    static let retries: [Script] = [
        Script(
            "a reused connection closed before any response byte: a GET goes again on a fresh one",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamClosed, "connectFresh(1)", .connected(reused: false),
                "send(body:0,end:true,flush:true)", .upstreamHead(200), "head↓200,keep-alive", .upstreamEnd,
                "complete(reuse:true,close:false)",
            ], ends: "idle"),
        Script(
            "only once",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamClosed, "connectFresh(1)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamClosed, "respond(502,close:false)",
            ], ends: "idle"),
        Script(
            "a fresh connection is not retried",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: false),
                "send(body:0,end:true,flush:true)", .upstreamClosed, "respond(502,close:false)",
            ], ends: "idle"),
        Script(
            "a request that is not idempotent is not retried",
            [
                .head(.postEmpty), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamClosed, "respond(502,close:false)",
            ], ends: "idle"),
        Script(
            "a request with a body is not retried",
            [
                .head(.put), "acquire(1)", .body(4), "none", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:1,end:true,flush:false)", .upstreamClosed, "respond(502,close:false)",
            ], ends: "idle"),
        Script(
            "a request not fully sent is not retried, and its connection closes",
            [
                .head(.put), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)", .upstreamClosed,
                "respond(502,close:true)",
            ], ends: "discarding"),
        Script(
            "once the response started, the client sees the close",
            [
                .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamHead(200), "head↓200,keep-alive", .upstreamClosed, "close",
            ], ends: "closed"),
        Script(
            "a connection that cannot be opened: 502",
            [.head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connectFailed, "respond(502,close:false)"],
            ends: "idle"),
    ]

    @Test(arguments: retries) func staleConnectionRetry(_ script: Script) {
        script.check()
    }

    // MARK: Upgrades, limits, backpressure

    static let others: [Script] = [
        Script(
            "a 101 to an upgrade request opens a tunnel once that response ends",
            [
                .head(.upgrade), "acquire(1)", .end, "end(forward:false,await:false)", .read(), "none", .connected(reused: false),
                "send(body:0,end:true,flush:true)", .writable(true), "none", .upstreamHead(101), "none", .read(), "none",
                .upstreamEnd, "tunnel",
            ], ends: "tunnelling"),
        Script(
            "a refused upgrade closes the connection after its response",
            [
                .head(.upgrade), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: false),
                "send(body:0,end:true,flush:true)", .upstreamHead(200), "head↓200,close", .upstreamEnd,
                "complete(reuse:true,close:true)", .read(), "none",
            ], ends: "discarding"),
        Script(
            "a 101 with input parsed after the upgrade request closes both connections",
            [
                .head(.upgrade), "acquire(1)", .end, "end(forward:false,await:false)", .head(.get), "none",
                .connected(reused: false), "send(body:0,end:true,flush:true)", .upstreamHead(101), "none", .upstreamEnd, "close",
            ], ends: "closed"),
        Script(
            "a body past the limit: 413 and close",
            [
                .head(.chunked), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)", .body(4), "body↑",
                .body(5), "respond(413,close:true)", .body(4), "none",
            ], ends: "discarding"),
        Script(
            "a body past the limit while waiting for a connection: 413 and close",
            [.head(.chunked), "acquire(1)", .body(9), "respond(413,close:true)"], ends: "discarding"),
        Script(
            "a body past the limit after the response started: close",
            [
                .head(.chunked), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)",
                .upstreamHead(200), "head↓200,close", .body(9), "close",
            ], ends: "closed"),
        Script(
            "client reads wait for an upstream that can take the body",
            [
                .head(.post), "acquire(1)", .read(), "none", .connected(reused: true), "send(body:0,end:false,flush:false)",
                .writable(false), "none", .read(upstreamWritable: false), "none", .writable(true), "read", .read(), "read",
            ], ends: "forwarding"),
        Script(
            "Expect: 100-continue is answered once an exchange starts",
            [.head(.expectsContinue), "acquire(1),continue"], ends: "acquiring"),
        Script(
            "HTTP/1.0 without keep-alive closes after its response",
            [
                .head(.http10), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
                "send(body:0,end:true,flush:false)", .upstreamHead(200), "head↓200,close", .upstreamEnd,
                "complete(reuse:true,close:true)",
            ], ends: "discarding"),
    ]

    @Test(arguments: others) func upgradesLimitsAndBackpressure(_ script: Script) {
        script.check(maxBodyBytes: 8)
    }

    // MARK: Activities

    /// A tracked exchange's activity is handed on once: completed, cut short, or (a stalled
    /// body) never.
    @Test(arguments: [
        ActivityCase("completed", [.upstreamHead(200), .upstreamEnd], completed: true, status: 200),
        ActivityCase("answered by the proxy", [.responseHeadTimeout], completed: true, status: 504),
        ActivityCase("upstream broke off the response", [.upstreamHead(200), .upstreamBody, .upstreamClosed], completed: false, status: 200),
        ActivityCase("client left mid-response", [.upstreamHead(200), .upstreamBody, .clientClosed], completed: false, status: 200),
        ActivityCase("client stopped reading the response", [.upstreamHead(200), .sendTimeout], completed: false, status: 200),
        ActivityCase("client stalled its body", [.bodyTimeout], completed: nil, status: nil),
        ActivityCase("client left before the response", [.clientClosed], completed: nil, status: nil),
        ActivityCase("became a tunnel", [.upstreamHead(101), .upstreamEnd], completed: nil, status: nil, request: .upgrade),
    ])
    func activityIsHandedOnOnce(_ activityCase: ActivityCase) throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let tracker = ActivityTracker(policy: try fixture.policy()) { _ in }
        var random = ConnectionRandom()
        var headers = HTTPHeaders()
        let pending = try #require(
            tracker.begin(method: "POST", target: "/api/v1/reports/7/generate/", headers: &headers, peer: "192.0.2.1", random: &random))
        var driver = Driver(maxBodyBytes: nil)
        driver.activity = pending
        var handedOn: [Machine.FinishedActivity] = []
        let events: [Step.Event] = [.head(activityCase.request), .end, .connected(reused: true)] + activityCase.events
        for event in events {
            if let activity = driver.apply(event)?.activity { handedOn.append(activity) }
        }
        #expect(handedOn.count == (activityCase.completed == nil ? 0 : 1))
        if let activity = handedOn.first {
            #expect(activity.pending === pending)
            #expect(activity.exchange.completed == activityCase.completed)
            #expect(activity.exchange.status == activityCase.status)
        }
    }

    struct ActivityCase: Sendable, CustomTestStringConvertible {
        var name: String
        var events: [Step.Event]
        var completed: Bool?
        var status: Int?
        var request: Request = .post
        var testDescription: String { name }

        init(_ name: String, _ events: [Step.Event], completed: Bool?, status: Int?, request: Request = .post) {
            self.name = name
            self.events = events
            self.completed = completed
            self.status = status
            self.request = request
        }
    }
}
