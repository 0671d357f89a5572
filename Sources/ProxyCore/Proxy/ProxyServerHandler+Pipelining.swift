import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// Handles held pipelined input now that the connection is idle again, until the machine
    /// says a request is in progress whose end has arrived (what follows belongs to the next one).
    func drainPipelined() {
        while let action = machine.replayPipelined(prepare: { self.prepare($0) }) {
            perform(action)
        }
        // Parts replayed here get no `channelReadComplete`, which is what normally flushes them:
        // without this a pipelined request's body and end would sit unsent and the upstream wait.
        upstream?.flush()
        // A read held back meanwhile (also one held while the upstream was slow to take the
        // body) goes on now; otherwise the connection would never read its next request.
        perform(machine.pipelineDrained())
    }
}
