#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer's driver, linked in by `-sanitize=fuzzer`: it parses libFuzzer's command line (corpus
/// folders, `-max_total_time=…`, files to replay) and calls `callback` once per input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer over `testOneInput` with this process's arguments and exits with its status.
///
/// SwiftPM links an executable target's `main` to the module's own entry point, so each fuzz target
/// has a `@main` that calls this, and libFuzzer's own `main` is never used. `testOneInput` is also
/// exported as `LLVMFuzzerTestOneInput`, which the sanitizer runtime requires to be defined.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
