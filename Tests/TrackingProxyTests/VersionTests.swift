import Testing

@testable import TrackingProxy

/// `trackingproxy --version`: the version and the commit the BuildCommit plugin baked in.
@Suite struct VersionTests {
    @Test func versionNamesTheCommit() {
        #expect(TrackingProxyCommand.configuration.version == "\(TrackingProxyVersion.current) (commit \(TrackingProxyVersion.commit))")
        #expect(TrackingProxyVersion.commit.wholeMatch(of: /[0-9a-f]{12,40}(-dirty)?|unknown/) != nil, "\(TrackingProxyVersion.commit)")
    }
}
