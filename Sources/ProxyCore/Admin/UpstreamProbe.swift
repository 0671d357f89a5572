import NIOCore
import NIOPosix

/// Answers "can the upstream be reached?" for `/readyz` by opening (and closing) a TCP
/// connection with a short timeout.
struct UpstreamProbe: Sendable {
    let address: SocketAddress
    let group: any EventLoopGroup
    var timeout: TimeAmount = .seconds(1)

    func isReachable() async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .connect(to: address)
                .get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
