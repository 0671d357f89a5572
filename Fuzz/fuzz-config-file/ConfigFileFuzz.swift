import FuzzDriver
@testable import Analytics
@testable import DeploymentConfiguration

/// Input: the YAML text of the proxy's configuration file (also read as an `analytics.tokens_file`).
/// Invariants: nothing traps; the result is a configuration or a `ConfigurationError` with a
/// sentence; a loaded configuration's numbers fit where the proxy combines them (the HTTP decoder's
/// limits add the header and URL bounds), its tracking section validates or throws, and it renders.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let configuration = try ConfigurationLoader<ProxyConfiguration>().load(yaml: text, fileName: "fuzz.yaml")
        let client = configuration.client
        let (sum, overflow) = client.maxHeaderBytes.bytes.addingReportingOverflow(client.maxURLBytes.bytes + 1024)
        precondition(!overflow && sum > 0, "the decoder limits fit in an Int")
        precondition((0...256).contains(configuration.threads), "threads are bounded")
        _ = try? configuration.tracking.validate()
        _ = try? configuration.ingest.validate()
        _ = ConfigurationLoader<ProxyConfiguration>.render(configuration)
    } catch {
        precondition(!error.message.isEmpty, "an error says what is wrong")
        _ = error.description
    }
    do {
        let tokens = try TokensFile.parse(text: text, path: "fuzz-tokens.yaml")
        _ = AnalyticsConfiguration(tokens: tokens).problems()
    } catch {
        precondition(!error.message.isEmpty, "an error says what is wrong")
    }
    return 0
}

@main
enum ConfigFileFuzz { static func main() { runFuzzer(fuzzOneInput) } }
