/// What a reviewer tool (`rules check`, `rules test`, `rules explain`) prints and its exit code,
/// so the command line is a thin shell and tests check the logic without spawning processes.
public struct ToolOutput: Sendable, Equatable {
    /// The text to print on standard output, ending with a newline when non-empty.
    public var text: String
    /// The process exit code: 0 success, 1 a problem was found, 2 usage or unreadable input.
    public var exitCode: Int32

    /// Creates an output.
    public init(text: String, exitCode: Int32) {
        self.text = text
        self.exitCode = exitCode
    }
}
