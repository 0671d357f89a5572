import NIOCore
import NIOPosix

/// Answers "can the upstream be reached?" for `/readyz` (and `trackingproxy doctor`) by opening
/// (and closing) a TCP connection with a short timeout.
package struct UpstreamProbe: Sendable {
    package let address: SocketAddress
    package let group: any EventLoopGroup
    package var timeout: TimeAmount = .seconds(1)

    package init(address: SocketAddress, group: any EventLoopGroup, timeout: TimeAmount = .seconds(1)) {
        self.address = address
        self.group = group
        self.timeout = timeout
    }

    package func isReachable() async -> Bool {
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
