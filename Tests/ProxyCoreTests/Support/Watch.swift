import NIOCore
import Synchronization

/// A bounded wait ran out: names what the test was waiting for.
struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// A value shared between servers under test and the test itself, which can wait (bounded) until
/// the value satisfies a condition, instead of sleeping.
///
/// Thread-safe. Timers run on `eventLoop`.
final class Watch<Value: Sendable>: Sendable {
    private struct Waiter {
        var id: Int
        var condition: @Sendable (Value) -> Bool
        var promise: EventLoopPromise<Void>
    }

    private struct State {
        var value: Value
        var waiters: [Waiter] = []
        var nextID = 0
    }

    private let state: Mutex<State>
    private let eventLoop: any EventLoop

    init(_ value: Value, eventLoop: any EventLoop) {
        self.state = Mutex(State(value: value))
        self.eventLoop = eventLoop
    }

    var value: Value { state.withLock { $0.value } }

    func update(_ change: (inout Value) -> Void) {
        let ready = state.withLock { state -> [EventLoopPromise<Void>] in
            change(&state.value)
            let value = state.value
            let ready = state.waiters.filter { $0.condition(value) }
            state.waiters.removeAll { $0.condition(value) }
            return ready.map(\.promise)
        }
        for promise in ready { promise.succeed() }
    }

    /// Returns once `condition` holds; throws `TestTimeout` after `timeout`.
    func wait(for what: String, timeout: TimeAmount = .seconds(10), until condition: @escaping @Sendable (Value) -> Bool) async throws {
        let promise = eventLoop.makePromise(of: Void.self)
        let id: Int? = state.withLock { state in
            if condition(state.value) { return nil }
            state.nextID += 1
            state.waiters.append(Waiter(id: state.nextID, condition: condition, promise: promise))
            return state.nextID
        }
        guard let id else {
            promise.succeed()
            return
        }
        let timer = eventLoop.scheduleTask(in: timeout) { [self] in
            let removed = state.withLock { state in
                let before = state.waiters.count
                state.waiters.removeAll { $0.id == id }
                return state.waiters.count < before
            }
            if removed { promise.fail(TestTimeout(what: what)) }
        }
        defer { timer.cancel() }
        try await promise.futureResult.get()
    }
}
