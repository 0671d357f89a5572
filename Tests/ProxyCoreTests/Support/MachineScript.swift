import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

typealias Machine = ProxyConnectionStateMachine

/// A test of the connection state machine: events, each followed by the action it must return
/// (as `Machine.Action.summary`), and the state the machine must end in.
struct Script: Sendable, CustomTestStringConvertible {
    var name: String
    var steps: [Step]
    var ends: String
    var testDescription: String { name }

    init(_ name: String, _ steps: [Step], ends: String) {
        self.name = name
        self.steps = steps
        self.ends = ends
    }

    /// Runs the script on a fresh machine, checking every expected action and the final state.
    func check(maxBodyBytes: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        var driver = Driver(maxBodyBytes: maxBodyBytes)
        var last: (event: Step.Event, summary: String)?
        for (index, step) in steps.enumerated() {
            switch step {
            case .event(let event):
                last = (event, driver.apply(event)?.summary ?? "nil")
            case .expect(let expected):
                guard let (event, summary) = last else {
                    Issue.record("step \(index): an expectation with no event before it", sourceLocation: sourceLocation)
                    return
                }
                #expect(summary == expected, "step \(index): after \(event)", sourceLocation: sourceLocation)
                last = nil
            }
        }
        #expect(driver.machine.state.name == ends, "final state", sourceLocation: sourceLocation)
    }
}

/// One step of a script: an event, or the action the event before must have returned.
enum Step: Sendable, ExpressibleByStringLiteral {
    case event(Event)
    case expect(String)

    /// What can happen to a client connection.
    enum Event: Sendable {
        case head(Request)
        /// A body part of this many bytes.
        case body(Int)
        case end
        case malformed
        case read(upstreamWritable: Bool)
        /// The upstream connection of the current exchange is ready.
        case connected(reused: Bool)
        case connectFailed
        case writable(Bool)
        /// A response head with this status.
        case upstreamHead(Int)
        case upstreamBody
        case upstreamEnd
        case upstreamClosed
        case responseHeadTimeout
        case bodyTimeout
        case sendTimeout
        case shutdown
        case clientError
        case clientClosed
        /// One `replayPipelined` call; "nil" when it had nothing to replay.
        case replay
        case drained
    }

    init(stringLiteral value: String) { self = .expect(value) }

    static func head(_ request: Request) -> Step { .event(.head(request)) }
    static func body(_ count: Int) -> Step { .event(.body(count)) }
    static func read(upstreamWritable: Bool = true) -> Step { .event(.read(upstreamWritable: upstreamWritable)) }
    static func connected(reused: Bool) -> Step { .event(.connected(reused: reused)) }
    static func writable(_ isWritable: Bool) -> Step { .event(.writable(isWritable)) }
    static func upstreamHead(_ status: Int) -> Step { .event(.upstreamHead(status)) }
    static let end = Step.event(.end)
    static let malformed = Step.event(.malformed)
    static let connectFailed = Step.event(.connectFailed)
    static let upstreamBody = Step.event(.upstreamBody)
    static let upstreamEnd = Step.event(.upstreamEnd)
    static let upstreamClosed = Step.event(.upstreamClosed)
    static let bodyTimeout = Step.event(.bodyTimeout)
    static let shutdown = Step.event(.shutdown)
    static let replay = Step.event(.replay)
    static let drained = Step.event(.drained)
}

/// Requests the scripts send, judged by the real validator.
enum Request: Sendable {
    case get, getClose, http10, post, postEmpty, put, chunked, upgrade, connect, expectsContinue

    var head: HTTPRequestHead {
        switch self {
        case .get: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a", headers: ["host": "app"])
        case .getClose: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a", headers: ["host": "app", "connection": "close"])
        case .http10: HTTPRequestHead(version: .http1_0, method: .GET, uri: "/a")
        case .post: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/up", headers: ["host": "app", "content-length": "4"])
        case .postEmpty: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/up", headers: ["host": "app", "content-length": "0"])
        case .put: HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/doc", headers: ["host": "app", "content-length": "4"])
        case .chunked:
            HTTPRequestHead(version: .http1_1, method: .POST, uri: "/up", headers: ["host": "app", "transfer-encoding": "chunked"])
        case .upgrade:
            HTTPRequestHead(
                version: .http1_1, method: .GET, uri: "/ws", headers: ["host": "app", "connection": "upgrade", "upgrade": "websocket"])
        case .connect: HTTPRequestHead(version: .http1_1, method: .CONNECT, uri: "app:443", headers: ["host": "app:443"])
        case .expectsContinue:
            HTTPRequestHead(
                version: .http1_1, method: .POST, uri: "/up", headers: ["host": "app", "content-length": "4", "expect": "100-continue"])
        }
    }
}

/// Feeds events to a machine as `ProxyServerHandler` would.
struct Driver {
    var machine: Machine
    /// The activity the next accepted head starts, as the tracker would make it.
    var activity: PendingActivity?
    let validator = RequestHeadValidator(maxHeaderBytes: 8192, maxURLBytes: 2048, maxBodyBytes: nil)

    init(maxBodyBytes: Int?) {
        machine = Machine(rewriter: HeaderRewriter(), maxBodyBytes: maxBodyBytes)
    }

    /// The action `event` leads to; nil only when a replay found nothing to replay.
    mutating func apply(_ event: Step.Event) -> Machine.Action? {
        let validator = self.validator
        let activity = self.activity
        let prepare = { (head: HTTPRequestHead) in
            validator.validate(head).map { Machine.PreparedRequest(verdict: $0, upstreamHead: head, activity: activity) }
        }
        switch event {
        case .head(let request): return machine.requestHead(request.head, prepare: prepare)
        case .body(let count): return machine.requestBody(ByteBuffer(repeating: 0x61, count: count))
        case .end: return machine.requestEnd(nil)
        case .malformed: return machine.requestFailed(.badRequest("malformed_request"))
        case .read(let upstreamWritable): return machine.read(upstreamWritable: upstreamWritable)
        case .connected(let reused): return machine.upstreamConnected(serial: machine.serial, reused: reused)
        case .connectFailed: return machine.upstreamConnectFailed(serial: machine.serial)
        case .writable(let isWritable): return machine.upstreamWritabilityChanged(isWritable: isWritable)
        case .upstreamHead(let status): return machine.upstreamResponseHead(Self.response(status), keepsHeaders: false)
        case .upstreamBody: return machine.upstreamResponseBody(ByteBuffer(string: "ok"))
        case .upstreamEnd: return machine.upstreamResponseEnd(nil)
        case .upstreamClosed: return machine.upstreamClosed()
        case .responseHeadTimeout: return machine.responseHeadTimedOut()
        case .bodyTimeout: return machine.clientTimedOut(.body)
        case .sendTimeout: return machine.clientTimedOut(.send)
        case .shutdown: return machine.shutdownRequested()
        case .clientError: return machine.clientError()
        case .clientClosed: return machine.clientClosed()
        case .replay: return machine.replayPipelined(prepare: prepare)
        case .drained: return machine.pipelineDrained()
        }
    }

    static func response(_ status: Int) -> HTTPResponseHead {
        switch status {
        case 101: HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: ["connection": "upgrade", "upgrade": "websocket"])
        case 204: HTTPResponseHead(version: .http1_1, status: .noContent)
        default: HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: ["content-length": "2"])
        }
    }
}

/// Where a connection can be when something goes wrong, and the events that lead there.
enum Stage: CaseIterable, Sendable {
    case idle, acquiring, sendingBody, awaitingResponse, streaming, switching, discarding, tunnelling, closed

    var events: [Step] {
        let awaiting: [Step] = [
            .head(.get), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
            "send(body:0,end:true,flush:false)",
        ]
        let switching: [Step] = [
            .head(.upgrade), "acquire(1)", .end, "end(forward:false,await:false)", .connected(reused: true),
            "send(body:0,end:true,flush:false)", .upstreamHead(101), "none",
        ]
        return switch self {
        case .idle: []
        case .acquiring: [.head(.get), "acquire(1)", .end, "end(forward:false,await:false)"]
        case .sendingBody: [.head(.post), "acquire(1)", .connected(reused: true), "send(body:0,end:false,flush:false)", .body(2), "body↑"]
        case .awaitingResponse: awaiting
        case .streaming: awaiting + [.upstreamHead(200), "head↓200,keep-alive"]
        case .switching: switching
        case .discarding: [.head(.connect), "respond(405,close:true)"]
        case .tunnelling: switching + [.upstreamEnd, "tunnel"]
        case .closed: [.event(.clientClosed), "cleanUp"]
        }
    }
}

/// What can go wrong, as the machine hears of it.
enum Failure: CaseIterable, Sendable {
    case malformedInput, upstreamClosed, responseHeadTimeout, bodyTimeout, sendTimeout, connectFailed, clientError, clientClosed

    var event: Step {
        switch self {
        case .malformedInput: .malformed
        case .upstreamClosed: .upstreamClosed
        case .responseHeadTimeout: .event(.responseHeadTimeout)
        case .bodyTimeout: .bodyTimeout
        case .sendTimeout: .event(.sendTimeout)
        case .connectFailed: .connectFailed
        case .clientError: .event(.clientError)
        case .clientClosed: .event(.clientClosed)
        }
    }

    /// Events that only matter while an upstream connection is sought or in use.
    var concernsUpstream: Bool { self == .upstreamClosed || self == .responseHeadTimeout || self == .connectFailed }
}

extension Machine.State {
    var name: String {
        switch self {
        case .idle: "idle"
        case .acquiring: "acquiring"
        case .forwarding: "forwarding"
        case .discarding: "discarding"
        case .tunnelling: "tunnelling"
        case .closed: "closed"
        case .modifying: "modifying"
        }
    }
}

extension Machine.Action {
    /// The action in a few words, as the scripts expect it.
    var summary: String {
        switch self {
        case .none: "none"
        case .read: "read"
        case .acquireUpstream(let serial, let sendContinue): "acquire(\(serial))" + (sendContinue == nil ? "" : ",continue")
        case .connectFresh(let serial): "connectFresh(\(serial))"
        case .sendRequest(_, let body, let end, _, let flush): "send(body:\(body.count),end:\(end),flush:\(flush))"
        case .releaseConnection: "release"
        case .forwardRequestBody: "body↑"
        case .endRequest(let forward, _, let awaitResponseHead): "end(forward:\(forward),await:\(awaitResponseHead))"
        case .forwardResponseHead(let head): "head↓\(head.status.code),\(head.isKeepAlive ? "keep-alive" : "close")"
        case .forwardResponseBody: "body↓"
        case .completeResponse(_, let reuse, let completion): "complete(reuse:\(reuse),close:\(completion.closeConnection))"
        case .respond(let answer): "respond(\(answer.status.code),close:\(answer.completion.closeConnection))"
        case .startTunnel: "tunnel"
        case .close: "close"
        case .cleanUp: "cleanUp"
        }
    }

    /// The activity this action hands to the tracker, if any.
    var activity: Machine.FinishedActivity? {
        switch self {
        case .completeResponse(_, _, let completion): completion.activity
        case .respond(let answer): answer.completion.activity
        case .close(_, let activity), .cleanUp(let activity): activity
        default: nil
        }
    }
}
