import Foundation
import Testing

@testable import ProxyCore

/// `Upgrade: websocket` is tunnelled byte for byte after the upstream's 101.
@Suite struct WebSocketTunnelTests {
    static let upgrade =
        "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    /// A client frame (RFC 6455 §5.2): FIN, opcode, masked payload under 126 bytes.
    static func maskedFrame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        precondition(payload.count < 126)
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + mask
            + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    @Test func echoThroughTheTunnel() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(Self.upgrade)
            let response = try await client.readResponse()
            #expect(response.status == 101)
            #expect(response.value("upgrade")?.lowercased() == "websocket")
            #expect(response.value("connection")?.lowercased() == "upgrade")
            // RFC 6455 §1.3's example key and its accept value.
            #expect(response.value("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

            let hello = Array("hello".utf8)
            try await client.send(bytes: Self.maskedFrame(opcode: 0x1, payload: hello))
            #expect(try await client.readBytes(2 + hello.count) == [0x81, UInt8(hello.count)] + hello)
            let binary = (0..<100).map { UInt8($0) }
            try await client.send(bytes: Self.maskedFrame(opcode: 0x2, payload: binary))
            #expect(try await client.readBytes(2 + binary.count) == [0x82, UInt8(binary.count)] + binary)

            try await client.send(bytes: Self.maskedFrame(opcode: 0x8, payload: [0x03, 0xE8]))
            #expect(try await client.readBytes(4) == [0x88, 0x02, 0x03, 0xE8])
            try await client.expectClosed()

            let head = try #require(proxy.backend.log.value.heads.first)
            #expect(head.headers["upgrade"] == ["websocket"])
            #expect(head.headers["connection"].map { $0.lowercased() } == ["upgrade"])
        }
    }

    /// A frame sent right behind the upgrade request waits in the client's decoder until the
    /// tunnel opens, then crosses it. (The request-path fuzz target found that it crashed the
    /// proxy: handed to the tunnel before the upstream's response decoder was gone.)
    @Test func aFrameSentWithTheUpgradeRequestCrossesTheTunnel() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            let hello = Array("early".utf8)
            try await client.send(bytes: Array(Self.upgrade.utf8) + Self.maskedFrame(opcode: 0x1, payload: hello))
            #expect(try await client.readResponse().status == 101)
            #expect(try await client.readBytes(2 + hello.count) == [0x81, UInt8(hello.count)] + hello)
        }
    }

    @Test func refusedUpgradeClosesAfterTheResponse() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(Self.upgrade.replacingOccurrences(of: "GET /ws", with: "GET /echo"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.value("connection") == "close")
            try await client.expectClosed()
        }
    }
}
