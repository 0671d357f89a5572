import NIOPosix

extension NIOThreadPool {
    /// Runs `body` on the pool's thread and waits for it, even if the calling task is cancelled:
    /// work that was started must finish (a spool append at shutdown, a COMMIT), otherwise its
    /// state (a half-written file, an open transaction) would be unknown. Blocking work only.
    package func runToCompletion<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { state in
                guard case .active = state else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                continuation.resume(with: Result(catching: body))
            }
        }
    }
}
